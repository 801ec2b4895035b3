import API
import AurisTestSupport
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Testing

/// `speakers=auto` and `voices=A:onyx,B:nova` at upload: stored with the job when valid,
/// refused with a stable code and nothing held when not.
@Suite(.timeLimit(.minutes(5))) struct SpeakerUploadTests {
    /// The OpenAI engine answers what it can do without calling anyone.
    static func openAIEngine() throws -> any DubbingEngine {
        try EngineConfiguration(engine: .openai, openAIAPIKey: "sk-test").makeEngine()
    }

    static func form(_ fields: [String: String]) async throws -> MultipartForm {
        .upload(audio: try await AudioFixtures.wavBytes(seconds: 3), fields: ["target_language": "fr"].merging(fields) { $1 }, subtitles: nil)
    }

    @Test func speakersAndVoicesAreStoredWithTheJob() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application(engine: try Self.openAIEngine()).test(.router) { client in
            let response = try await client.upload(try await Self.form(["speakers": "auto", "voices": "A:onyx,B:nova"]), as: harness.alice)
            #expect(response.status == .accepted)
            let id = try #require(try response.json()["id"] as? String)
            let job = try #require(try await harness.queue.job(id: id))
            let request = try JSONDecoder().decode(DubbingRequest.self, from: Data(job.payload.utf8))
            #expect(request.speakers == .auto)
            #expect(request.voices == ["A": "onyx", "B": "nova"])
            let status = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(status["speakers"] as? String == "auto")

            // The default stays one voice.
            let plain = try await client.upload(try await Self.form([:]), as: harness.alice)
            let plainID = try #require(try plain.json()["id"] as? String)
            let plainJob = try #require(try await harness.queue.job(id: plainID))
            #expect(try JSONDecoder().decode(DubbingRequest.self, from: Data(plainJob.payload.utf8)).speakers == .one)
        }
    }

    @Test(arguments: [
        (["voices": "A-onyx"], 400, "invalid_request", "voices must look like"),
        (["voices": "A:onyx,A:nova"], 400, "invalid_request", "twice"),
        (["voices": "A:on yx"], 400, "invalid_request", "voices must look like"),
        (["voices": "A:Nova"], 400, "invalid_request", "voices must look like"),
        (["voices": "A:robot"], 422, "engine_unsupported", "unknown voice robot"),
        (["speakers": "many"], 400, "invalid_request", "speakers must be auto or one"),
        (["speakers": "one", "voices": "A:onyx"], 400, "invalid_request", "voices needs speakers=auto"),
    ])
    func badSpeakerFieldsAreRefusedWithNothingHeld(fields: [String: String], status: Int, code: String, message: String) async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application(engine: try Self.openAIEngine()).test(.router) { client in
            let form = try await Self.form(fields)
            try await harness.expectNothingChanged {
                let response = try await client.upload(form, as: harness.alice)
                #expect(response.status.code == status)
                #expect(try response.errorCode() == code)
                let error = try #require(try response.json()["error"] as? [String: Any])
                #expect((error["message"] as? String)?.contains(message) == true)
            }
        }
    }
}
