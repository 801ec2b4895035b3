import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The values docs/openapi.yaml lists are exactly the ones the code takes (the contract
/// fuzz, scripts/contract-test, checks both directions): fields as sent, no trimming or
/// case folding; query fields checked with a form too; a cursor is 400 when malformed,
/// 404 when it names no job.
@Suite(.timeLimit(.minutes(5))) struct ContractFieldsTests {
    static func tone() async throws -> [UInt8] {
        try AudioFixtures.bytes(try await AudioFixtures.wav(seconds: 3))
    }

    @Test("a field outside the spec's enum is 400 invalid_request and nothing is held", arguments: [
        ["target_language": "FR"], ["target_language": " fr"], ["target_language": "fr", "source_language": "EN"],
        ["target_language": "fr", "voice": "Alloy"], ["target_language": "fr", "background": "drop"],
        ["target_language": "fr", "background": "KEEP"],
    ])
    func outsideTheEnum(_ fields: [String: String]) async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await Self.tone(), fields: fields)
        try await harness.application().test(.router) { client in
            try await harness.expectNothingChanged("\(fields)") {
                let response = try await client.upload(form, as: harness.alice)
                #expect(response.status == .badRequest, "\(fields)")
                #expect(try response.errorCode() == "invalid_request")
            }
        }
    }

    @Test("empty optional fields are as if absent; an empty target_language is 400")
    func emptyFields() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await Self.tone()
        try await harness.application().test(.router) { client in
            let empty = MultipartForm.upload(audio: audio, fields: ["target_language": "fr", "source_language": "", "voice": "", "background": ""])
            #expect(try await client.upload(empty, as: harness.alice).status == .accepted)
            let noTarget = MultipartForm.upload(audio: audio, fields: ["target_language": ""])
            let refused = try await client.upload(noTarget, as: harness.alice)
            #expect(refused.status == .badRequest)
            #expect(try refused.errorCode() == "invalid_request")
        }
    }

    @Test("query fields count with a form: checked, and the form's own win")
    func queryFieldsWithAForm() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await Self.tone()
        try await harness.application().test(.router) { client in
            let form = MultipartForm.upload(audio: audio)
            var headers = harness.alice.bearer
            headers[.contentType] = form.contentType
            let badQuery = try await client.execute(uri: "/api/dub?background=sideways", method: .post, headers: headers, body: form.body)
            #expect(badQuery.status == .badRequest)
            #expect(try badQuery.errorCode() == "invalid_request")

            let noFormTarget = MultipartForm.upload(audio: audio, fields: [:])
            headers[.contentType] = noFormTarget.contentType
            let fromQuery = try await client.execute(uri: "/api/dub?target_language=de", method: .post, headers: headers, body: noFormTarget.body)
            #expect(fromQuery.status == .accepted)
            let id = try #require(try fromQuery.json()["id"] as? String)
            let job = try await client.get("/api/dub/\(id)", as: harness.alice)
            #expect(try job.json()["target_language"] as? String == "de")

            headers[.contentType] = form.contentType
            let both = try await client.execute(uri: "/api/dub?target_language=de", method: .post, headers: headers, body: form.body)
            let bothID = try #require(try both.json()["id"] as? String)
            let bothJob = try await client.get("/api/dub/\(bothID)", as: harness.alice)
            #expect(try bothJob.json()["target_language"] as? String == "fr", "the form's field wins")

            // ... but a query value it overrides is checked too (the contract fuzzer sent a
            // valid voice in the form and garbage in the query, and it was accepted).
            let withVoice = MultipartForm.upload(audio: audio, fields: ["target_language": "fr", "voice": "nova"])
            headers[.contentType] = withVoice.contentType
            let overridden = try await client.execute(uri: "/api/dub?voice=N%C3%B6va%21", method: .post, headers: headers, body: withVoice.body)
            #expect(overridden.status == .badRequest)
            #expect(try overridden.errorCode() == "invalid_request")
        }
    }

    @Test("a malformed cursor is 400, one that names no job of the account 404")
    func cursors() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await Self.tone())
        try await harness.application().test(.router) { client in
            let accepted = try await client.upload(form, as: harness.bob)
            let bobsJob = try #require(try accepted.json()["id"] as? String)
            for (cursor, status, code) in [
                ("", 400, "invalid_request"), ("d%C3%A9j%C3%A0", 400, "invalid_request"), (String(repeating: "a", count: 65), 400, "invalid_request"),
                ("dub_unknown", 404, "not_found"), (bobsJob, 404, "not_found"),
            ] {
                let response = try await client.get("/api/dub?cursor=\(cursor)", as: harness.alice)
                #expect(response.status.code == status, "\(cursor)")
                #expect(try response.errorCode() == code, "\(cursor)")
            }
            let own = try await client.get("/api/dub?cursor=\(bobsJob)", as: harness.bob)
            #expect(own.status == .ok)
        }
    }

    @Test("a password of 8 characters counts them as the spec does (Unicode scalars)")
    func passwordLengthInScalars() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            // Four letters each with a combining accent: 4 characters on screen, 8 scalars.
            let password = String(repeating: "e\u{301}", count: 4)
            let body = try JSONSerialization.data(withJSONObject: ["email": "scalars@example.com", "password": password])
            let response = try await client.execute(
                uri: "/api/signup", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
            #expect(response.status == .created)
            let short = try JSONSerialization.data(withJSONObject: ["email": "short@example.com", "password": "e\u{301}e\u{301}e\u{301}"])
            let refused = try await client.execute(
                uri: "/api/signup", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: short))
            #expect(refused.status == .badRequest)
            #expect(try refused.errorCode() == "invalid_password")
        }
    }
}
