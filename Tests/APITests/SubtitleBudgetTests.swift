import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Subtitles are checked at upload: more text than the audio's length pays for, or a
/// file that is not subtitles, is 422 with nothing held and nothing kept.
struct SubtitleBudgetTests {
    @Test("a megabyte of subtitles on one second of audio is 422 too_much_text")
    func tooMuchText() async throws {
        let cue = String(repeating: "parle ", count: 250)
        let cues = (1...500).map { "\($0)\n00:00:00,000 --> 00:00:01,000\n\(cue)\n" }.joined(separator: "\n")
        try await refused(subtitles: cues, code: "too_much_text")
    }

    @Test("a subtitles part that is not subtitles is 422 invalid_subtitles")
    func notSubtitles() async throws {
        try await refused(subtitles: "just some text, no cue at all\n", code: "invalid_subtitles")
    }

    func refused(subtitles: String, code: String) async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try AudioFixtures.bytes(try await AudioFixtures.wav(seconds: 1))
        let form = MultipartForm.upload(audio: audio, subtitles: Array(subtitles.utf8))
        try await harness.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/dub", method: .post, headers: harness.alice.bearer + [.contentType: form.contentType], body: form.body)
            #expect(response.status == .unprocessableContent)
            #expect((try response.json()["error"] as? [String: Any])?["code"] as? String == code, "\(String(buffer: response.body))")
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.balance(harness.alice).held == 0)
        #expect(try await harness.jobCount() == 0)
    }
}
