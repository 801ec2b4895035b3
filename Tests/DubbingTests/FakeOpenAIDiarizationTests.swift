import AurisTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import Dubbing

/// The fake's diarization refuses what the model refuses (no `chunking_strategy`, a
/// `prompt`, known speakers that are not name + data URL pairs of 2–10 s, more than
/// four), and keeps a known speaker's name when a reference matches their voice.
@Suite(.timeLimit(.minutes(2))) struct FakeOpenAIDiarizationTests {
    private func transcribe(
        _ server: FakeOpenAIServer, audio: Data, fields: [(String, String)]
    ) async throws -> (status: Int, json: [String: Any]) {
        var form = MultipartFormBody()
        for (name, value) in fields { form.addField(name, value) }
        form.addFile("file", fileName: "piece.wav", contentType: "audio/wav", contents: audio)
        var request = URLRequest(url: try #require(URL(string: server.baseURL + "/audio/transcriptions")))
        request.httpMethod = "POST"
        request.httpBody = form.finished()
        request.setValue(form.contentType, forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer sk-test", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (try #require(response as? HTTPURLResponse).statusCode, json)
    }

    private static let diarize = [("model", "gpt-4o-transcribe-diarize"), ("response_format", "diarized_json")]

    private static func speakers(_ json: [String: Any]) -> [String] {
        (json["segments"] as? [[String: Any]] ?? []).compactMap { $0["speaker"] as? String }
    }

    private static func param(_ json: [String: Any]) -> String? {
        (json["error"] as? [String: Any])?["param"] as? String
    }

    @Test func refusesWhatTheDiarizingModelRefuses() async throws {
        let folder = try TemporaryDirectory("auris-fake-diarize")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let audio = try #require(FileManager.default.contents(
                atPath: try await SpeakerTones(frequencies: [440, 660]).write(to: folder.appending("two.wav"))))
            let reference = "data:audio/wav;base64," + audio.base64EncodedString()
            let chunked = Self.diarize + [("chunking_strategy", "auto")]

            let noChunking = try await transcribe(server, audio: audio, fields: Self.diarize)
            #expect(noChunking.status == 400 && Self.param(noChunking.json) == "chunking_strategy")
            let prompt = try await transcribe(server, audio: audio, fields: chunked + [("prompt", "Two people")])
            #expect(prompt.status == 400 && Self.param(prompt.json) == "prompt")
            let unpaired = try await transcribe(server, audio: audio, fields: chunked + [("known_speaker_names[]", "ann")])
            #expect(unpaired.status == 400 && Self.param(unpaired.json) == "known_speaker_names")
            let notDataURL = try await transcribe(
                server, audio: audio, fields: chunked + [("known_speaker_names[]", "ann"), ("known_speaker_references[]", "https://x/a.wav")])
            #expect(notDataURL.status == 400 && Self.param(notDataURL.json) == "known_speaker_references")
            let five = (1...5).flatMap { [("known_speaker_names[]", "s\($0)"), ("known_speaker_references[]", reference)] }
            let tooMany = try await transcribe(server, audio: audio, fields: chunked + five)
            #expect(tooMany.status == 400 && Self.param(tooMany.json) == "known_speaker_names")

            let plain = try await transcribe(server, audio: audio, fields: chunked)
            #expect(plain.status == 200)
            #expect(Self.speakers(plain.json) == ["A", "B"])
        }
    }

    @Test func aMatchingReferenceKeepsTheKnownName() async throws {
        let folder = try TemporaryDirectory("auris-fake-diarize")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            // The piece starts with the higher voice; the reference is the lower one.
            let piece = try #require(FileManager.default.contents(
                atPath: try await SpeakerTones(frequencies: [660, 440]).write(to: folder.appending("piece.wav"))))
            let low = try #require(FileManager.default.contents(
                atPath: try await SpeakerTones(frequencies: [440]).write(to: folder.appending("low.wav"))))
            let answer = try await transcribe(server, audio: piece, fields: Self.diarize + [
                ("chunking_strategy", "auto"), ("known_speaker_names[]", "ann"),
                ("known_speaker_references[]", "data:audio/wav;base64," + low.base64EncodedString()),
            ])
            #expect(answer.status == 200)
            #expect(Self.speakers(answer.json) == ["A", "ann"])
            #expect(server.diarizationRequests().map(\.knownSpeakerNames) == [["ann"]])
        }
    }
}
