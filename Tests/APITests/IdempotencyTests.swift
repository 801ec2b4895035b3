import API
import AurisTestSupport
import Billing
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Testing

/// `Idempotency-Key`, with Stripe's semantics: a retried request returns the first
/// response and holds nothing more; the key with another request is refused.
@Suite(.timeLimit(.minutes(5))) struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!

    @Test("the same key and request return the same job, and nothing more is held")
    func replay() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await AudioFixtures.wavBytes(seconds: 12))

        try await harness.application().test(.router) { client in
            let first = try await client.upload(form, as: harness.alice, headers: [Self.key: "order-42"])
            #expect(first.status == .accepted)
            let id = try #require(try first.json()["id"] as? String)
            try await harness.expectNothingChanged {
                let again = try await client.upload(form, as: harness.alice, headers: [Self.key: "order-42"])
                #expect(again.status == .accepted)
                let json = try again.json()
                #expect(json["id"] as? String == id)
                #expect(json["credits_reserved"] as? Int == 2)
                #expect(json["credits_available"] as? Int == 8)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            }
        }
    }

    @Test("a retry is answered with its job even when the job took the account's last credits")
    func replayWithNothingLeft() async throws {
        let harness = try await APIHarness.make(signupCredits: 2)
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await AudioFixtures.wavBytes(seconds: 12))
        try await harness.application().test(.router) { client in
            let first = try await client.upload(form, as: harness.alice, headers: [Self.key: "last-credits"])
            #expect(first.status == .accepted)
            #expect(try first.json()["credits_available"] as? Int == 0)
            let again = try await client.upload(form, as: harness.alice, headers: [Self.key: "last-credits"])
            #expect(again.status == .accepted, "the retry of a queued request is not refused for want of credits")
            #expect(try again.json()["id"] as? String == (try first.json()["id"] as? String))
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.upload(form, as: harness.alice, headers: [Self.key: "another"])
            #expect(other.status.code == 402, "a new request still needs credits")
        }
        #expect(try await harness.jobCount() == 1)
    }

    @Test("the same key with another request is 422 idempotency_conflict")
    func conflict() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 3)

        try await harness.application().test(.router) { client in
            let first = try await client.upload(.upload(audio: audio), as: harness.alice, headers: [Self.key: "k1"])
            #expect(first.status == .accepted)
            let other = try await AudioFixtures.wavBytes(seconds: 4)
            let changes: [MultipartForm] = [
                .upload(audio: audio, fields: ["target_language": "de"]),
                .upload(audio: other),
                .upload(audio: audio, fields: ["target_language": "fr", "voice": "nova"]),
            ]
            for changed in changes {
                try await harness.expectNothingChanged {
                    let response = try await client.upload(changed, as: harness.alice, headers: [Self.key: "k1"])
                    #expect(response.status == .unprocessableContent)
                    #expect(try response.errorCode() == "idempotency_conflict")
                }
            }
        }
    }

    @Test("two accounts may use the same key, each for its own job")
    func keysArePerAccount() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let form = MultipartForm.upload(audio: try await AudioFixtures.wavBytes(seconds: 3))

        try await harness.application().test(.router) { client in
            let alice = try await client.upload(form, as: harness.alice, headers: [Self.key: "shared"])
            let bob = try await client.upload(form, as: harness.bob, headers: [Self.key: "shared"])
            #expect(alice.status == .accepted && bob.status == .accepted)
            #expect(try alice.json()["id"] as? String != bob.json()["id"] as? String)
        }
        #expect(try await harness.balance(harness.alice).available == 9)
        #expect(try await harness.balance(harness.bob).available == 9)
        #expect(try await harness.jobCount() == 2)
    }
}
