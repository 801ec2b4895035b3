import AurisTestSupport
import Foundation
import MediaStore
import NIOCore
import Synchronization
import Testing

/// The S3 store against a scripted fake (``FakeS3Server``): what is retried, what is not,
/// and that a failed get leaves no file.
@Suite struct S3FaultTests {
    /// The backoff waits asked for, recorded instead of slept.
    final class Waits: Sendable {
        let delays = Mutex<[Duration]>([])
        var recorded: [Duration] { delays.withLock { $0 } }
    }

    static func store(_ fake: FakeS3Server, waits: Waits, maxAttempts: Int = 4, timeoutSeconds: Double = 60) throws -> S3MediaStore {
        let configuration = try MediaStoreConfiguration.parse(
            url: "s3://media/prefix?endpoint=\(fake.endpoint)",
            environment: ["AWS_ACCESS_KEY_ID": "AKIDFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret"])
        let retry = S3RetryPolicy(maxAttempts: maxAttempts, jitter: { 1 }, sleep: { delay in waits.delays.withLock { $0.append(delay) } })
        return S3MediaStore(
            configuration: configuration, retry: retry, requestTimeoutSeconds: timeoutSeconds, transferTimeoutSeconds: timeoutSeconds)
    }

    static func checksumHeader(_ sample: MediaSample) -> (String, String) {
        var bytes: [UInt8] = []
        var hex = sample.sha256Hex[...]
        while !hex.isEmpty {
            bytes.append(UInt8(hex.prefix(2), radix: 16)!)
            hex = hex.dropFirst(2)
        }
        return ("x-amz-checksum-sha256", Data(bytes).base64EncodedString())
    }

    static func failure(_ operation: () async throws -> Void) async -> MediaStoreError? {
        do {
            try await operation()
            return nil
        } catch {
            return error as? MediaStoreError
        }
    }

    @Test func putIsRetriedAfterA500AndSendsTheWholeBodyAgain() async throws {
        let fake = try await FakeS3Server(replies: [.answer(status: 500, body: FakeS3Server.errorBody("InternalError")), .answer(status: 200)])
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory("media-s3-fault")
        defer { folder.remove() }
        let waits = Waits()
        let sample = MediaSample(sizeBytes: 300_000)
        let source = try folder.write(sample.bytes, to: "spooled")

        try await Self.store(fake, waits: waits).put(fileAtPath: source, as: try MediaKey("uploads/u 1/source"), sha256Hex: sample.sha256Hex)

        let seen = fake.seen
        #expect(seen.map(\.method) == ["PUT", "PUT"])
        #expect(seen.map(\.uri) == ["/media/prefix/uploads/u%201/source", "/media/prefix/uploads/u%201/source"])
        #expect(seen.map(\.bodyBytes) == [sample.bytes.count, sample.bytes.count])
        #expect(seen.allSatisfy { $0.headers["x-amz-content-sha256"] == sample.sha256Hex })
        #expect(seen.allSatisfy { $0.headers["x-amz-checksum-sha256"] == Self.checksumHeader(sample).1 })
        #expect(seen.allSatisfy { $0.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDFAKE/") == true })
        #expect(waits.recorded == [.milliseconds(200)])
    }

    @Test func getIsRetriedAfterSlowDownAndWritesTheObject() async throws {
        let sample = MediaSample(sizeBytes: 200_000)
        let fake = try await FakeS3Server(replies: [
            .answer(status: 503, body: FakeS3Server.errorBody("SlowDown")),
            .answer(status: 200, headers: [Self.checksumHeader(sample)], body: sample.bytes),
        ])
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory("media-s3-fault")
        defer { folder.remove() }
        let waits = Waits()

        let sizeBytes = try await Self.store(fake, waits: waits).get(try MediaKey("results/j/dubbed.mp3"), toFileAtPath: folder.appending("out.mp3"))

        #expect(sizeBytes == Int64(sample.bytes.count))
        #expect(try MediaSample.contents(of: folder.appending("out.mp3")) == sample.bytes)
        #expect(fake.seen.count == 2)
        #expect(waits.recorded.count == 1)
    }

    @Test func aRefusalIsNotRetried() async throws {
        let fake = try await FakeS3Server(replies: [.answer(status: 403, body: FakeS3Server.errorBody("AccessDenied"))])
        defer { Task { await fake.stop() } }
        let waits = Waits()

        let error = await Self.failure { _ = try await Self.store(fake, waits: waits).sizeBytes(of: try MediaKey("uploads/a/source")) }

        #expect(error?.code == "access_denied")
        #expect(fake.seen.count == 1)
        #expect(waits.recorded.isEmpty)
    }

    @Test func aMissingObjectIsNotFoundAndWritesNothing() async throws {
        let fake = try await FakeS3Server(replies: [.answer(status: 404, body: FakeS3Server.errorBody("NoSuchKey"))])
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory("media-s3-fault")
        defer { folder.remove() }
        let store = try Self.store(fake, waits: Waits())

        let error = await Self.failure { try await store.get(try MediaKey("results/none/dubbed.mp3"), toFileAtPath: folder.appending("out")) }

        #expect(error?.code == "not_found")
        #expect(error?.storeCode == "NoSuchKey")
        #expect(MediaSample.names(in: folder.path) == [])
        try await store.delete(try MediaKey("results/none/dubbed.mp3"))
        #expect(fake.seen.count == 2)
    }

    @Test func failuresThatDoNotStopAreTriedABoundedNumberOfTimes() async throws {
        let fake = try await FakeS3Server(replies: [.answer(status: 500, body: FakeS3Server.errorBody("InternalError"))])
        defer { Task { await fake.stop() } }
        let waits = Waits()

        let error = await Self.failure { try await Self.store(fake, waits: waits).delete(try MediaKey("uploads/a/source")) }

        #expect(error?.code == "unavailable")
        #expect(error?.storeCode == "InternalError")
        #expect(fake.seen.count == 4)
        #expect(waits.recorded == [.milliseconds(200), .milliseconds(400), .milliseconds(800)])
    }

    @Test func aServerSlowerThanTheDeadlineTimesOut() async throws {
        let fake = try await FakeS3Server(replies: [.late(seconds: 4, status: 200)])
        defer { Task { await fake.stop() } }

        let error = await Self.failure {
            _ = try await Self.store(fake, waits: Waits(), maxAttempts: 2, timeoutSeconds: 0.3).sizeBytes(of: try MediaKey("uploads/a/source"))
        }

        #expect(error?.code == "timeout")
        #expect(fake.seen.count == 2)
    }

    @Test func aBodyCutShortLeavesNoFileAndIsRetried() async throws {
        let sample = MediaSample(sizeBytes: 100_000)
        let fake = try await FakeS3Server(replies: [
            .cutShort(announcedBytes: sample.bytes.count, body: Array(sample.bytes.prefix(40_000))),
            .cutShort(announcedBytes: sample.bytes.count, body: Array(sample.bytes.prefix(70_000))),
            .answer(status: 200, body: sample.bytes),
        ])
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory("media-s3-fault")
        defer { folder.remove() }
        let key = try MediaKey("uploads/a/source")

        let error = await Self.failure { try await Self.store(fake, waits: Waits(), maxAttempts: 2).get(key, toFileAtPath: folder.appending("source")) }
        #expect(error?.code == "unavailable")
        #expect(MediaSample.names(in: folder.path) == [])

        try await Self.store(fake, waits: Waits(), maxAttempts: 2).get(key, toFileAtPath: folder.appending("source"))
        #expect(try MediaSample.contents(of: folder.appending("source")) == sample.bytes)
        #expect(MediaSample.names(in: folder.path) == ["source"])
        #expect(fake.seen.count == 3)
    }

    /// What a streamed read handed over, collected.
    final class Received: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        var all: [UInt8] { bytes.withLock { $0 } }

        @Sendable func append(_ chunk: ByteBuffer) {
            bytes.withLock { $0 += Array(chunk.readableBytesView) }
        }
    }

    @Test func aStreamedReadIsRetriedBeforeItsFirstByteButNeverAfter() async throws {
        let sample = MediaSample(sizeBytes: 100_000)
        let key = try MediaKey("results/dub_1.mp3")
        // A 500 before any byte: tried again, and the reader sees the object once.
        let retried = try await FakeS3Server(replies: [
            .answer(status: 500, body: FakeS3Server.errorBody("InternalError")), .answer(status: 200, body: sample.bytes),
        ])
        defer { Task { await retried.stop() } }
        let whole = Received()
        let sizeBytes = try await Self.store(retried, waits: Waits()).read(key, into: whole.append)
        #expect(sizeBytes == Int64(sample.bytes.count))
        #expect(whole.all == sample.bytes)
        #expect(retried.seen.map(\.method) == ["GET", "GET"])

        // Cut after 40 KB were handed over: another attempt would hand them over twice.
        let cut = try await FakeS3Server(replies: [
            .cutShort(announcedBytes: sample.bytes.count, body: Array(sample.bytes.prefix(40_000))),
            .answer(status: 200, body: sample.bytes),
        ])
        defer { Task { await cut.stop() } }
        let part = Received()
        await #expect(throws: (any Error).self) {
            try await Self.store(cut, waits: Waits()).read(key, into: part.append)
        }
        #expect(part.all == Array(sample.bytes.prefix(part.all.count)) && part.all.count <= 40_000)
        #expect(cut.seen.count == 1)
    }

    @Test func aStreamedReadOfAMissingObjectIsNotFound() async throws {
        let fake = try await FakeS3Server(replies: [.answer(status: 404, body: FakeS3Server.errorBody("NoSuchKey"))])
        defer { Task { await fake.stop() } }
        let error = await Self.failure { try await Self.store(fake, waits: Waits()).read(try MediaKey("results/x.mp3")) { _ in } }
        #expect(error?.code == "not_found")
        #expect(fake.seen.count == 1)
    }

    @Test func anObjectThatDoesNotMatchItsStoredChecksumIsRefused() async throws {
        let sample = MediaSample(sizeBytes: 10_000)
        let other = MediaSample(sizeBytes: 10_000)
        let fake = try await FakeS3Server(replies: [.answer(status: 200, headers: [Self.checksumHeader(other)], body: sample.bytes)])
        defer { Task { await fake.stop() } }
        let folder = try TemporaryDirectory("media-s3-fault")
        defer { folder.remove() }

        let error = await Self.failure { try await Self.store(fake, waits: Waits()).get(try MediaKey("a/b"), toFileAtPath: folder.appending("b")) }

        #expect(error?.code == "integrity")
        #expect(MediaSample.names(in: folder.path) == [])
        #expect(fake.seen.count == 1)
    }

    @Test func backoffDoublesUpToItsCapAndJitterOnlyShortensIt() {
        let steady = S3RetryPolicy(baseDelayMilliseconds: 200, capDelayMilliseconds: 1_000, jitter: { 1 })
        #expect((1...5).map { steady.delayMilliseconds(afterAttempts: $0) } == [200, 400, 800, 1_000, 1_000])
        let halved = S3RetryPolicy(baseDelayMilliseconds: 200, capDelayMilliseconds: 1_000, jitter: { 0.1 })
        #expect((1...4).map { halved.delayMilliseconds(afterAttempts: $0) } == [100, 200, 400, 500])
    }
}
