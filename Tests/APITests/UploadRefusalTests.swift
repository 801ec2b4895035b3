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

/// Every refusal of `POST /api/dub` answers its status and stable code, and leaves
/// nothing behind: no hold, no job, no file.
@Suite(.timeLimit(.minutes(5))) struct UploadRefusalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var status: Int
        var code: String
        /// Words the error's message must contain: the refusal is for this reason, not another.
        var message = ""
        var signupCredits: Int64 = 10
        var configure: @Sendable (inout APIConfiguration) -> Void = { _ in }
        /// The request: URI, headers (the account's key added unless `anonymous`), body.
        var request: @Sendable (APIHarness) async throws -> (String, HTTPFields, ByteBuffer)
    }

    static func form(_ form: MultipartForm, _ extra: HTTPFields = [:]) -> (String, HTTPFields, ByteBuffer) {
        var headers: HTTPFields = [.contentType: form.contentType]
        headers.append(contentsOf: extra)
        return ("/api/dub", headers, form.body)
    }

    static func tone(_ seconds: Double = 3) async throws -> [UInt8] {
        try AudioFixtures.bytes(try await AudioFixtures.wav(seconds: seconds))
    }

    static let cases: [Case] = [
        Case(testDescription: "bad multipart: no boundary", status: 400, code: "invalid_request") { _ in
            ("/api/dub", [.contentType: "multipart/form-data"], ByteBuffer(string: "hello"))
        },
        Case(testDescription: "bad multipart: garbage body", status: 400, code: "invalid_request") { _ in
            let form = MultipartForm()
            return ("/api/dub", [.contentType: form.contentType], ByteBuffer(string: "this is not multipart at all\r\n"))
        },
        Case(testDescription: "bad multipart: body ends inside the audio part", status: 400, code: "invalid_request") { _ in
            var form = MultipartForm.upload(audio: try await tone())
            form.field("voice", "alloy")
            let cut = form.body.getSlice(at: 0, length: form.body.readableBytes - 200)!
            return ("/api/dub", [.contentType: form.contentType], cut)
        },
        Case(testDescription: "missing target_language", status: 400, code: "invalid_request") { _ in
            form(.upload(audio: try await tone(), fields: [:]))
        },
        Case(testDescription: "unknown target_language", status: 400, code: "invalid_request") { _ in
            form(.upload(audio: try await tone(), fields: ["target_language": "xx"]))
        },
        Case(testDescription: "unknown field", status: 400, code: "invalid_request") { _ in
            form(.upload(audio: try await tone(), fields: ["target_language": "fr", "colour": "blue"]))
        },
        Case(testDescription: "no file part", status: 400, code: "invalid_request", message: "the audio is missing") { _ in
            var parts = MultipartForm()
            parts.field("target_language", "fr")
            parts.file("subtitles", filename: "fr.srt", contentType: "application/x-subrip", AudioFixtures.subtitles)
            return form(parts)
        },
        Case(testDescription: "too many parts", status: 400, code: "invalid_request", message: "too many parts; at most 12") { _ in
            var parts = MultipartForm.upload(audio: try await tone())
            for _ in 0..<12 { parts.field("voice", "alloy") }
            return form(parts)
        },
        Case(testDescription: "a field over 1 KiB", status: 400, code: "invalid_request", message: "voice is too long") { _ in
            form(.upload(audio: try await tone(), fields: ["target_language": "fr", "voice": String(repeating: "a", count: 1_025)]))
        },
        Case(testDescription: "a voice that is not a voice name", status: 400, code: "invalid_request", message: "voice must be") { _ in
            form(.upload(audio: try await tone(), fields: ["target_language": "fr", "voice": "alloy; rm -rf"]))
        },
        Case(testDescription: "unknown source_language", status: 400, code: "invalid_request", message: "source_language") { _ in
            form(.upload(audio: try await tone(), fields: ["target_language": "fr", "source_language": "xx"]))
        },
        Case(testDescription: "bad Idempotency-Key", status: 400, code: "invalid_request") { _ in
            form(.upload(audio: try await tone()), [HTTPField.Name("Idempotency-Key")!: "has spaces in it"])
        },
        Case(testDescription: "Idempotency-Key over 255 characters", status: 400, code: "invalid_request") { _ in
            form(.upload(audio: try await tone()), [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 256)])
        },
        Case(testDescription: "more seconds than credits", status: 402, code: "insufficient_credits", signupCredits: 1) { _ in
            form(.upload(audio: try await tone(12)))
        },
        Case(testDescription: "multipart audio over the limit", status: 413, code: "payload_too_large",
             configure: { $0.maxUploadBytes = 20_000 }) { _ in form(.upload(audio: try await tone())) },
        Case(testDescription: "raw body over the limit", status: 413, code: "payload_too_large",
             configure: { $0.maxUploadBytes = 20_000 }) { _ in
            ("/api/dub?target_language=fr", [.contentType: "audio/wav"], ByteBuffer(bytes: try await tone()))
        },
        Case(testDescription: "raw text/plain body", status: 415, code: "unsupported_media") { _ in
            ("/api/dub?target_language=fr", [.contentType: "text/plain"], ByteBuffer(string: "bonjour"))
        },
        Case(testDescription: "a PNG uploaded as file", status: 415, code: "unsupported_media") { _ in
            form(.upload(audio: try await AudioFixtures.bytes(AudioFixtures.png()), filename: "picture.png"))
        },
        Case(testDescription: "a text file uploaded as file", status: 415, code: "unsupported_media") { _ in
            form(.upload(audio: Array("Bonjour, ceci est un texte.\n".utf8), filename: "notes.txt"))
        },
        Case(testDescription: "an empty file", status: 422, code: "invalid_audio") { _ in form(.upload(audio: [])) },
        Case(testDescription: "a WAV cut mid-stream", status: 422, code: "invalid_audio") { _ in
            form(.upload(audio: try await AudioFixtures.bytes(AudioFixtures.truncatedWAV())))
        },
        Case(testDescription: "over the duration limit", status: 422, code: "invalid_audio",
             configure: { $0.maxDurationSeconds = 5 }) { _ in form(.upload(audio: try await tone(12))) },
        Case(testDescription: "offline engine without subtitles", status: 422, code: "engine_unsupported") { _ in
            form(.upload(audio: try await tone(), subtitles: nil))
        },
    ]

    @Test("a refused upload answers its code and changes nothing", arguments: cases)
    func refused(_ refusal: Case) async throws {
        let harness = try await APIHarness.make(signupCredits: refusal.signupCredits, refusal.configure)
        defer { harness.remove() }
        let (uri, headers, body) = try await refusal.request(harness)

        try await harness.application().test(.router) { client in
            try await harness.expectNothingChanged {
                var authorized = harness.alice.bearer
                authorized.append(contentsOf: headers)
                let response = try await client.execute(uri: uri, method: .post, headers: authorized, body: body)
                #expect(response.status.code == refusal.status)
                #expect(try response.errorCode() == refusal.code)
                let message = (try response.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(refusal.message.isEmpty || message.contains(refusal.message), "\(message)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                if refusal.status == 402 {
                    let error = try #require(try response.json()["error"] as? [String: Any])
                    #expect(error["required"] as? Int == 2)
                    #expect(error["available"] as? Int == 1)
                }
            }
        }
    }

    @Test("missing, malformed and wrong API keys are 401 before the body is read")
    func unauthorized() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await Self.tone())
        let keys: [String?] = [nil, "Basic \(harness.alice.apiKey)", "Bearer", "Bearer ", "Bearer not-a-key",
                               "Bearer \(harness.alice.apiKey)x", String(repeating: "a", count: 300)]

        try await harness.application().test(.router) { client in
            for key in keys {
                try await harness.expectNothingChanged("\(key ?? "no key")") {
                    var headers: HTTPFields = [.contentType: form.contentType]
                    if let key { headers[.authorization] = key }
                    let response = try await client.execute(uri: "/api/dub", method: .post, headers: headers, body: form.body)
                    #expect(response.status == .unauthorized)
                    #expect(try response.errorCode() == "unauthorized")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
            }
        }
    }

    @Test("past the queued-jobs limit an upload is 429 too_many_jobs")
    func tooManyJobs() async throws {
        let harness = try await APIHarness.make { $0.queue.maxQueuedPerAccount = 2 }
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await Self.tone())

        try await harness.application().test(.router) { client in
            for _ in 0..<2 {
                #expect(try await client.upload(form, as: harness.alice).status == .accepted)
            }
            try await harness.store.violations().forEach { Issue.record("\($0)") }
            let before = try await harness.leftoverUploads()
            let beforeBalance = try await harness.balance(harness.alice)
            let response = try await client.upload(form, as: harness.alice)
            #expect(response.status == .tooManyRequests)
            #expect(try response.errorCode() == "too_many_jobs")
            #expect(response.headers[.retryAfter] != nil)
            #expect(try await harness.balance(harness.alice) == beforeBalance)
            #expect(try await harness.jobCount() == 2)
            #expect(Set(try await harness.leftoverUploads()) == Set(before))
            #expect(try await client.upload(form, as: harness.bob).status == .accepted, "the limit is per account")
        }
    }
}
