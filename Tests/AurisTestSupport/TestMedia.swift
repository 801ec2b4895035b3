import AsyncHTTPClient
import Foundation
import HTTPTransport
@testable public import MediaStore
import NIOCore
import NIOHTTP1

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
            return try await listBucket(bucket.configuration)
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

    private static func listBucket(_ configuration: MediaStoreConfiguration) async throws -> [String] {
        let prefix = configuration.prefixSegments.joined(separator: "/") + "/"
        let query = [(name: "list-type", value: "2"), (name: "prefix", value: prefix)]
        let path = configuration.pathStyle ? SigV4.encodedPath([configuration.bucket]) : "/"
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        let payloadHash = SigV4.sha256Hex(Data())
        var request = HTTPClientRequest(url: "\(configuration.scheme)://\(configuration.host)\(path)?\(SigV4.canonicalQuery(query))")
        for (name, value) in signer.signedHeaders(
            method: "GET", host: configuration.host, encodedPath: path, query: query,
            headers: [("x-amz-content-sha256", payloadHash)], payloadHash: payloadHash, date: Date())
        {
            request.headers.add(name: name, value: value)
        }
        let answer = try await OutboundHTTP.send(request, timeoutSeconds: 30, maxAnswerBytes: 16 << 20)
        let text = String(buffer: answer.body)
        guard answer.status == 200 else { throw FixtureError("listing the bucket answered \(answer.status): \(text)") }
        guard !text.contains("<IsTruncated>true</IsTruncated>") else { throw FixtureError("a test's prefix holds over 1,000 keys") }
        return text.components(separatedBy: "<Key>").dropFirst().compactMap { part in
            part.components(separatedBy: "</Key>").first.map { String($0.dropFirst(prefix.count)) }
        }.sorted()
    }
}
