import Foundation
public import MediaStore

/// The media store of one test: a folder in the test's data folder, or, when `scripts/test`
/// runs the suites against an object store (`AURIS_TEST_MEDIA_URL`, with the `AWS_*`
/// variables), a fresh prefix of that bucket, so tests never see each other's objects.
public enum TestMedia {
    /// The store, and the `AURIS_MEDIA_URL` an `auris` process needs to open it (nil for
    /// the folder).
    static func make(dataDirectory: String) throws -> (store: any MediaStore, url: String?) {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["AURIS_TEST_MEDIA_URL"], !base.isEmpty,
            var components = URLComponents(string: base)
        else { return (LocalFolderMediaStore(root: dataDirectory), nil) }
        components.path += "/" + UUID().uuidString.lowercased()
        let url = components.string!
        return (try MediaStores.open(url: url, dataDirectory: dataDirectory, environment: environment), url)
    }

    /// The `AWS_*` variables a process needs beside `AURIS_MEDIA_URL`.
    static var credentialsEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("AWS_") }
    }

    /// Every key in `store`, sorted: what a test expects to be empty after a refusal or
    /// once the sweeper has run. Listing is for tests only; Auris itself removes media by
    /// rows, never by listing.
    public static func keys(in store: any MediaStore) async throws -> [String] {
        switch store {
        case let folder as LocalFolderMediaStore:
            return listFolder(root: folder.root)
        case let bucket as S3MediaStore:
            return try listBucket(bucket.configuration)
        default:
            throw FixtureError("no listing for \(type(of: store))")
        }
    }

    private static func listFolder(root: String) -> [String] {
        var keys: [String] = []
        for top in ["uploads", "results"] {
            guard let walker = FileManager.default.enumerator(atPath: root + "/" + top) else { continue }
            while let relative = walker.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + top + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                    keys.append(top + "/" + relative)
                }
            }
        }
        return keys.sorted()
    }

    /// The bucket's keys under the store's prefix, listed by boto3 from the moto venv: an
    /// oracle that shares no code with our signer.
    private static func listBucket(_ configuration: MediaStoreConfiguration) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let python = ProcessInfo.processInfo.environment["AURIS_MOTO_PYTHON"] ?? root + "/.venv-moto/bin/python"
        let prefix = configuration.prefixSegments.joined(separator: "/") + "/"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import boto3, json, os, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2])
            keys = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[3], Prefix=sys.argv[4]):
                keys += [item["Key"] for item in page.get("Contents", [])]
            print(json.dumps(keys))
            """, configuration.endpoint, configuration.region, configuration.bucket, prefix]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let keys = try JSONSerialization.jsonObject(with: data) as? [String] else {
            throw FixtureError("listing the bucket with boto3 failed (\(process.terminationStatus))")
        }
        return keys.map { String($0.dropFirst(prefix.count)) }.sorted()
    }
}
