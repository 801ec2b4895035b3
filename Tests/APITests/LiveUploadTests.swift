import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Queue
import Testing

/// Uploads over a real socket: a multi-megabyte body, bodies cut off at the limit, and
/// one account's concurrent uploads racing for its credits.
@Suite(.timeLimit(.minutes(5))) struct LiveUploadTests {
    @Test("a multi-megabyte raw upload and a multipart one over a socket are accepted")
    func largeUploads() async throws {
        let harness = try await APIHarness.make(signupCredits: 100)
        defer { harness.remove() }
        let large = try await AudioFixtures.wavBytes(seconds: 256, sampleRate: 16_000)
        #expect(large.count > 8_000_000)
        let medium = try await AudioFixtures.wavBytes(seconds: 16, sampleRate: 16_000)

        try await harness.server(engine: UploadOnlyEngine()).test(.live) { client in
            var headers = harness.alice.bearer
            headers[.contentType] = "audio/wav"
            let raw = try await client.execute(
                uri: "/api/dub?target_language=fr", method: .post, headers: headers, body: ByteBuffer(bytes: large))
            #expect(raw.status == .accepted)
            #expect(try raw.json()["credits_reserved"] as? Int == 26)
            let multipart = try await client.upload(.upload(audio: medium), as: harness.alice)
            #expect(multipart.status == .accepted)
            #expect(try multipart.json()["credits_reserved"] as? Int == 2)
        }
        #expect(try await harness.balance(harness.alice).available == 72)
    }

    @Test("a chunked body that grows past the limit is answered 413 and cut off, nothing kept")
    func chunkedOverLimit() async throws {
        let harness = try await APIHarness.make { $0.maxUploadBytes = 256 * 1_024 }
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            let outcome = try await onThread { () throws -> (Int, Int, Bool, String?) in
                let connection = try RawHTTPConnection(port: port)
                connection.sendUploadHead(apiKey: apiKey, contentLength: nil)
                let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0x41, count: 65_536) + Array("\r\n".utf8)
                var sent = 0
                while sent < 64 << 20, !connection.readable(withinMilliseconds: 0), connection.send(chunk) { sent += 65_536 }
                let response = try connection.readResponse()
                return (response.status, sent, Self.keepsSending(connection, piece: chunk), try Self.code(response.body))
            }
            #expect(outcome.0 == 413 && outcome.3 == "payload_too_large")
            #expect(outcome.1 < 32 << 20, "answered long before the 64 MiB the client would send")
            #expect(!outcome.2, "the server stops reading: the connection is closed")
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.jobCount() == 0)
    }

    @Test("a Content-Length over the limit is answered 413 before the body is sent", arguments: [256 * 1_024 + 1, 100_000_000])
    func contentLengthOverLimit(contentLength: Int) async throws {
        let harness = try await APIHarness.make { $0.maxUploadBytes = 256 * 1_024 }
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            let outcome = try await onThread { () throws -> (Int, Bool) in
                let connection = try RawHTTPConnection(port: port)
                connection.sendUploadHead(apiKey: apiKey, contentLength: contentLength)
                _ = connection.send([UInt8](repeating: 0, count: 4_096))
                let response = try connection.readResponse(timeoutMilliseconds: 10_000)
                return (response.status, Self.keepsSending(connection))
            }
            #expect(outcome.0 == 413, "answered from the header, without waiting for the body")
            #expect(!outcome.1, "the connection is closed rather than the body read")
        }
        #expect(try await harness.leftoverUploads() == [])
    }

    @Test("a client that never finishes its request head is cut off after the header timeout")
    func silentHeadIsCutOff() async throws {
        let harness = try await APIHarness.make { $0.requestHeaderTimeoutSeconds = 1 }
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let closed = try await onThread { () throws -> Bool in
                let connection = try RawHTTPConnection(port: port)
                _ = connection.send("POST /api/dub?target_language=fr HTTP/1.1\r\nHost: localhost\r\n")
                return connection.closedByServer(withinMilliseconds: 10_000)
            }
            #expect(closed, "the connection was still open 10 s after a 1 s header timeout")
        }
    }

    @Test("a kept-alive connection stays open while requests keep coming, and is closed once idle for the header timeout")
    func keptAliveConnectionIsClosedOnlyOnceIdle() async throws {
        let harness = try await APIHarness.make { $0.requestHeaderTimeoutSeconds = 1 }
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let (statuses, closedWhileBusy, closedOnceIdle, idleSeconds) = try await onThread {
                () throws -> ([Int], Bool, Bool, Double) in
                let connection = try RawHTTPConnection(port: port)
                var statuses: [Int] = []
                // Eight requests 400 ms apart: 3.2 s on one connection, each well inside
                // the 1 s timeout of the one before.
                for _ in 0..<8 {
                    _ = connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    statuses.append(try connection.readResponse(timeoutMilliseconds: 5_000).status)
                    if connection.closedByServer(withinMilliseconds: 400) { return (statuses, true, true, 0) }
                }
                let idleStart = Date()
                let closed = connection.closedByServer(withinMilliseconds: 10_000)
                return (statuses, false, closed, Date().timeIntervalSince(idleStart))
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            #expect(!closedWhileBusy, "a connection that kept sending requests was closed")
            #expect(closedOnceIdle, "an idle kept-alive connection was still open 10 s after a 1 s header timeout")
            #expect(idleSeconds >= 0.5, "closed \(idleSeconds) s into its idle time, before its 1 s timeout")
        }
    }

    @Test("an upload whose body stops arriving is cut off: no file, no hold, no job")
    func stalledBodyIsCutOff() async throws {
        let harness = try await APIHarness.make { $0.bodyProgressTimeoutSeconds = 1 }
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            let closed = try await onThread { () throws -> Bool in
                let connection = try RawHTTPConnection(port: port)
                connection.sendUploadHead(apiKey: apiKey, contentLength: 100_000)
                _ = connection.send([UInt8](repeating: 0, count: 40_000))
                return connection.closedByServer(withinMilliseconds: 10_000)
            }
            #expect(closed, "the connection was still open 10 s after a 1 s body timeout")
            // The route removes its folder once the cut-off body read fails.
            let deadline = Date().addingTimeInterval(10)
            while try await !harness.leftoverUploads().isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.balance(harness.alice).held == 0)
        #expect(try await harness.jobCount() == 0)
    }

    @Test("an account without credits is answered 402 before its body is sent, and the connection is closed")
    func noCreditsRefusedBeforeTheBody() async throws {
        let harness = try await APIHarness.make(signupCredits: 0)
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            let outcome = try await onThread { () throws -> (Int, String?, Bool) in
                let connection = try RawHTTPConnection(port: port)
                connection.sendUploadHead(apiKey: apiKey, contentLength: 8_000_000)
                _ = connection.send([UInt8](repeating: 0, count: 4_096))
                let response = try connection.readResponse(timeoutMilliseconds: 10_000)
                return (response.status, try Self.code(response.body), Self.keepsSending(connection))
            }
            #expect(outcome.0 == 402, "answered without waiting for the 8 MB body")
            #expect(outcome.1 == "insufficient_credits")
            #expect(!outcome.2, "the connection is closed rather than the body read")
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.jobCount() == 0)
        #expect(try await harness.store.violations() == [])
    }

    @Test("16 concurrent uploads racing for 10 credits: exactly 5 accepted, the rest 402")
    func concurrentUploadsRace() async throws {
        // All 16 in progress at once: the race is for credits, not for upload slots.
        let harness = try await APIHarness.make(signupCredits: 10) { $0.maxConcurrentUploadsPerAccount = 16 }
        defer { harness.remove() }
        let audio = ByteBuffer(bytes: try await AudioFixtures.wavBytes(seconds: 12))

        try await harness.server(engine: UploadOnlyEngine()).test(.live) { client in
            let port = try #require(client.port)
            var headers = harness.alice.bearer
            headers[.contentType] = "audio/wav"
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask { [headers] in
                        try await TestClient.withClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(60))) {
                            let request = TestClient.Request("/api/dub?target_language=fr", method: .post, headers: headers, body: audio)
                            return Int(try await $0.execute(request).status.code)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 202 }.count == 5, "\(statuses.sorted())")
            #expect(statuses.filter { $0 == 402 }.count == 11, "\(statuses.sorted())")
        }
        #expect(try await harness.balance(harness.alice).available == 0)
        #expect(try await harness.balance(harness.alice).held == 10)
        #expect(try await harness.jobCount() == 5)
        #expect(try await harness.leftoverUploads().count == 10, "5 stored uploads, each an object and a row")
        #expect(try await harness.store.violations() == [])
    }

    /// After a response, whether the server still takes more of the body (`piece` at a
    /// time, framed as the body is): a closed connection refuses it within seconds.
    static func keepsSending(_ connection: RawHTTPConnection, piece: [UInt8] = [UInt8](repeating: 0x42, count: 65_536)) -> Bool {
        let deadline = Date().addingTimeInterval(2)
        var sent = 0
        while Date() < deadline, sent < 32 << 20 {
            guard connection.send(piece) else { return connection.sendTimedOut }
            sent += piece.count
        }
        return !connection.closedByServer(withinMilliseconds: 3_000)
    }

    static func code(_ body: String) throws -> String? {
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return (json?["error"] as? [String: Any])?["code"] as? String
    }
}

/// Runs blocking socket code on its own thread, off Swift's small cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
