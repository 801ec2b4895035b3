import AurisTestSupport
import Crypto
import Foundation
import MediaStore
import Testing

/// Random bytes and their SHA-256, for round trips.
struct MediaSample {
    let bytes: [UInt8]
    let sha256Hex: String

    init(sizeBytes: Int) {
        var generator = SystemRandomNumberGenerator()
        bytes = (0..<sizeBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        sha256Hex = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func contents(of path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The names in `folder`, so a test sees any temporary file left behind.
    static func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}

@Suite struct LocalFolderMediaStoreTests {
    @Test func roundTripOfAMegabyte() async throws {
        let folder = try TemporaryDirectory("media-local")
        defer { folder.remove() }
        let store = LocalFolderMediaStore(root: folder.appending("data"))
        let sample = MediaSample(sizeBytes: 1_048_583)
        let source = try folder.write(sample.bytes, to: "spooled")
        let key = try MediaKey("uploads/u1/source")

        #expect(try await store.sizeBytes(of: key) == nil)
        try await store.put(fileAtPath: source, as: key, sha256Hex: sample.sha256Hex.uppercased())
        #expect(try await store.sizeBytes(of: key) == Int64(sample.bytes.count))
        #expect(FileManager.default.fileExists(atPath: folder.appending("data/uploads/u1/source")))

        let copy = folder.appending("work/source")
        #expect(try await store.get(key, toFileAtPath: copy) == Int64(sample.bytes.count))
        #expect(try MediaSample.contents(of: copy) == sample.bytes)
        #expect(MediaSample.names(in: folder.appending("work")) == ["source"])
        #expect(try store.presignedGetURL(for: key, expiresInSeconds: 60) == nil)
        let streamed = S3FaultTests.Received()
        #expect(try await store.read(key, into: streamed.append) == Int64(sample.bytes.count))
        #expect(streamed.all == sample.bytes)

        try await store.delete(key)
        #expect(try await store.sizeBytes(of: key) == nil)
        await #expect { try await store.read(key) { _ in } } throws: { ($0 as? MediaStoreError)?.code == "not_found" }
        #expect(!FileManager.default.fileExists(atPath: folder.appending("data/uploads/u1")))
        #expect(FileManager.default.fileExists(atPath: folder.appending("data/uploads")))
        try await store.delete(key)
    }

    @Test("a spooled file is moved into place: same bytes, nothing left beside it, the spool file gone")
    func aMovedFileIsRenamedNotCopied() async throws {
        let folder = try TemporaryDirectory("media-local")
        defer { folder.remove() }
        let store = LocalFolderMediaStore(root: folder.appending("data"))
        let sample = MediaSample(sizeBytes: 300_007)
        let source = try folder.write(sample.bytes, to: "spooled-audio")
        let inode = try FileManager.default.attributesOfItem(atPath: source)[.systemFileNumber] as? UInt64
        let key = try MediaKey("uploads/u3/source")

        try await store.put(movingFileAtPath: source, as: key, sha256Hex: sample.sha256Hex)
        let stored = folder.appending("data/uploads/u3/source")
        #expect(try MediaSample.contents(of: stored) == sample.bytes)
        #expect(try FileManager.default.attributesOfItem(atPath: stored)[.systemFileNumber] as? UInt64 == inode)
        #expect(!FileManager.default.fileExists(atPath: source))
        #expect(MediaSample.names(in: folder.appending("data/uploads/u3")) == ["source"])
    }

    @Test func aFileThatDoesNotMatchItsHashIsNotStored() async throws {
        let folder = try TemporaryDirectory("media-local")
        defer { folder.remove() }
        let store = LocalFolderMediaStore(root: folder.path)
        let sample = MediaSample(sizeBytes: 4096)
        let source = try folder.write(sample.bytes.reversed(), to: "spooled")
        let key = try MediaKey("uploads/u2/source")

        await #expect {
            try await store.put(fileAtPath: source, as: key, sha256Hex: sample.sha256Hex)
        } throws: { error in
            (error as? MediaStoreError)?.code == "integrity"
        }
        #expect(try await store.sizeBytes(of: key) == nil)
        #expect(MediaSample.names(in: folder.appending("uploads/u2")) == [])
    }

    @Test func gettingAMissingKeyIsNotFoundAndWritesNothing() async throws {
        let folder = try TemporaryDirectory("media-local")
        defer { folder.remove() }
        let store = LocalFolderMediaStore(root: folder.appending("data"))
        try FileManager.default.createDirectory(atPath: folder.appending("work"), withIntermediateDirectories: true)

        await #expect {
            try await store.get(try MediaKey("results/none/dubbed.mp3"), toFileAtPath: folder.appending("work/out.mp3"))
        } throws: { error in
            (error as? MediaStoreError)?.code == "not_found"
        }
        #expect(MediaSample.names(in: folder.appending("work")) == [])
    }
}
