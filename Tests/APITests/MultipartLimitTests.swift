import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Hostile multipart framing is refused with 400 and bounded work: a part header that
/// never ends, or a part with hundreds of headers, cannot make the parser buffer and
/// re-copy megabytes.
@Suite(.timeLimit(.minutes(5))) struct MultipartLimitTests {
    @Test("a part header line that never ends is refused with 400 before the client has sent it all")
    func endlessHeaderLine() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.server().test(.live) { client in
            let port = try #require(client.port)
            let apiKey = harness.alice.apiKey
            let outcome = try await onThread { () throws -> (Int, String?, Bool) in
                let connection = try RawHTTPConnection(port: port)
                let boundary = "auris-limit"
                connection.sendUploadHead(
                    path: "/api/dub", apiKey: apiKey, contentType: "multipart/form-data; boundary=\(boundary)", contentLength: 41_943_040)
                _ = connection.send("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
                // 1 MiB of a header value with no line end, in pieces, as a slow attacker would.
                for _ in 0..<16 { _ = connection.send([UInt8](repeating: 0x41, count: 65_536)) }
                let response = try connection.readResponse(timeoutMilliseconds: 10_000)
                return (response.status, try LiveUploadTests.code(response.body), LiveUploadTests.keepsSending(connection))
            }
            #expect(outcome.0 == 400)
            #expect(outcome.1 == "invalid_request")
            #expect(!outcome.2, "the connection is closed rather than the rest of the 40 MiB read")
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.balance(harness.alice).held == 0)
    }

    @Test("a part with hundreds of headers is refused with 400, nothing kept")
    func tooManyPartHeaders() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let boundary = "auris-many"
        let fillers = (0..<300).map { "X-Filler-\($0): \($0)\r\n" }.joined()
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"target_language\"\r\n" + fillers
            + "\r\nfr\r\n--\(boundary)--\r\n"
        try await harness.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/dub", method: .post,
                headers: harness.alice.bearer + [.contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "invalid_request")
            #expect((error?["message"] as? String)?.contains("more than 16 headers") == true)
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.jobCount() == 0)
    }

    @Test("a part header name with non-ASCII bytes is refused with 400 (it once took the server down)")
    func nonASCIIHeaderName() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let boundary = "589c3e975b638333a5a84ac3015e1f7c"
        let body = ByteBuffer(bytes: Array("--\(boundary)\r\nrk".utf8)
            + [0xC2, 0xB9, 0x62, 0xF1, 0x8C, 0x9F, 0xB8, 0xC3, 0x9E, 0xF3, 0xA9, 0xBD, 0x8C] + Array("--\(boundary)--\r\n".utf8))
        try await harness.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/dub?source_language=", method: .post,
                headers: harness.alice.bearer + [.contentType: "multipart/form-data; boundary=\(boundary)"], body: body)
            #expect(response.status == .badRequest)
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "invalid_request")
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.balance(harness.alice).held == 0)
    }
}
