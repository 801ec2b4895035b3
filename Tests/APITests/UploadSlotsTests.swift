import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// One account cannot hold more uploads in progress than its limit: one more is 429
/// `too_many_uploads` at once, and the slot comes back when an upload ends.
@Suite(.timeLimit(.minutes(5))) struct UploadSlotsTests {
    @Test("a second upload while the first is still arriving is 429; after it ends, uploads are taken again")
    func oneUploadAtATime() async throws {
        let harness = try await APIHarness.make { $0.maxConcurrentUploadsPerAccount = 1 }
        defer { harness.remove() }
        let audio = try AudioFixtures.bytes(try await AudioFixtures.wav(seconds: 3))
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            // The first upload sends its head and part of its body, then waits. (A few
            // kilobytes to a local socket: short enough to send from the test's own task.)
            var slow: RawHTTPConnection? = try RawHTTPConnection(port: port)
            slow?.sendUploadHead(apiKey: apiKey, contentLength: 100_000)
            _ = slow?.send([UInt8](repeating: 0, count: 10_000))
            let deadline = Date().addingTimeInterval(10)
            while try await harness.leftoverUploads().isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // Its spool folder exists (and its row, written while the body arrives).
            try #require(try await harness.leftoverUploads().filter { $0.hasPrefix("spool ") }.count == 1, "the first upload is being received")

            let form = MultipartForm.upload(audio: audio)
            let headers: HTTPFields = harness.alice.bearer + [.contentType: form.contentType]
            // A refused upload's connection is closed (its body is not read): one client each.
            let body = form.body
            let upload: @Sendable () async throws -> (status: Int, body: String, retryAfter: String?) = {
                try await TestClient.withClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(30))) { client in
                    let response = try await client.execute(TestClient.Request("/api/dub", method: .post, headers: headers, body: body))
                    return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "", response.headers[.retryAfter])
                }
            }
            let refused = try await upload()
            #expect(refused.status == 429)
            let error = try JSONSerialization.jsonObject(with: Data(refused.body.utf8)) as? [String: Any]
            #expect((error?["error"] as? [String: Any])?["code"] as? String == "too_many_uploads")
            #expect((error?["error"] as? [String: Any])?["limit"] as? Int == 1)
            #expect(refused.retryAfter != nil)

            #expect(slow != nil)
            slow = nil  // closes the first connection, which ends its upload
            let freed = Date().addingTimeInterval(10)
            var accepted = try await upload()
            while accepted.status == 429, Date() < freed {
                try await Task.sleep(for: .milliseconds(50))
                accepted = try await upload()
            }
            #expect(accepted.status == 202, "\(accepted.body)")
        }
        #expect(try await harness.jobCount() == 1)
        #expect(try await harness.store.violations() == [])
    }
}
