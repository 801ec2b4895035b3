import AurisTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import Dubbing

/// The fake refuses what the real API refuses, in OpenAI's error shape and status, so a
/// client mistake (a typo'd model, a stray parameter, an oversize input) fails here and
/// not first in production. Sent as raw HTTP: Auris's client would not send these.
@Suite struct FakeOpenAIRefusalTests {
    struct Answer {
        var status: Int
        var json: [String: Any]
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
        var message: String { error["message"] as? String ?? "" }
    }

    private func post(_ server: FakeOpenAIServer, _ path: String, body: Data, contentType: String) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: server.baseURL + path)))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer sk-test", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Answer(status: try #require(response as? HTTPURLResponse).statusCode, json: json)
    }

    private func postJSON(_ server: FakeOpenAIServer, _ path: String, _ object: [String: Any]) async throws -> Answer {
        try await post(server, path, body: try JSONSerialization.data(withJSONObject: object), contentType: "application/json")
    }

    /// Every refusal has OpenAI's four keys (`param` and `code` may be null).
    private func expectOpenAIShape(_ answer: Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(answer.error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    }

    private func chat(model: String, extra: [String: Any] = [:]) -> [String: Any] {
        let schema: [String: Any] = ["type": "object", "properties": [:] as [String: Any], "additionalProperties": false]
        return [
            "model": model,
            "messages": [["role": "user", "content": #"{"segments": [{"id": 0, "text": "Hello"}]}"#]],
            "response_format": ["type": "json_schema", "json_schema": ["name": "t", "schema": schema, "strict": true] as [String: Any]],
        ].merging(extra) { _, new in new }
    }

    @Test func chatRefusesUnknownModelsAndParameters() async throws {
        try await withFakeOpenAI { server in
            let known = try await postJSON(server, "/chat/completions", chat(model: "gpt-4o-mini-2024-07-18"))
            #expect(known.status == 200)
            let typo = try await postJSON(server, "/chat/completions", chat(model: "gpt-4o-minii"))
            #expect(typo.status == 404)
            #expect(typo.error["code"] as? String == "model_not_found")
            #expect(typo.error["type"] as? String == "invalid_request_error")
            expectOpenAIShape(typo)
            let speechModel = try await postJSON(server, "/chat/completions", chat(model: "tts-1"))
            #expect(speechModel.status == 404)
            let stray = try await postJSON(server, "/chat/completions", chat(model: "gpt-4o-mini", extra: ["temprature": 0.2]))
            #expect(stray.status == 400)
            #expect(stray.message == "Unrecognized request argument supplied: temprature")
            expectOpenAIShape(stray)
            #expect(server.answered(.chatCompletions) == 1)
        }
    }

    @Test func speechRefusesUnknownModelsParametersAndLongInput() async throws {
        try await withFakeOpenAI { server in
            let base: [String: Any] = ["model": "tts-1", "input": "Hello", "voice": "alloy", "response_format": "pcm"]
            #expect(try await postJSON(server, "/audio/speech", base).status == 200)
            let chatModel = try await postJSON(server, "/audio/speech", base.merging(["model": "gpt-4o-mini"]) { _, new in new })
            #expect(chatModel.status == 404)
            #expect(chatModel.error["code"] as? String == "model_not_found")
            let stray = try await postJSON(server, "/audio/speech", base.merging(["format": "pcm"]) { _, new in new })
            #expect(stray.status == 400)
            #expect(stray.message == "Unrecognized request argument supplied: format")
            let long = try await postJSON(server, "/audio/speech", base.merging(["input": String(repeating: "a", count: 4_097)]) { _, new in new })
            #expect(long.status == 400)
            #expect(long.error["param"] as? String == "input")
            expectOpenAIShape(long)
            let instructed = try await postJSON(server, "/audio/speech", base.merging(["instructions": "Cheerful"]) { _, new in new })
            #expect(instructed.status == 400)
            let fast = try await postJSON(server, "/audio/speech", base.merging(["speed": 5.0]) { _, new in new })
            #expect(fast.status == 400)
            #expect(server.answered(.speech) == 1)
        }
    }

    private func transcription(model: String, extraField: (String, String)? = nil, audio: Data) -> MultipartFormBody {
        var form = MultipartFormBody()
        form.addField("model", model)
        form.addField("response_format", "verbose_json")
        form.addField("timestamp_granularities[]", "segment")
        if let extraField { form.addField(extraField.0, extraField.1) }
        form.addFile("file", fileName: "clip.wav", contentType: "audio/wav", contents: audio)
        return form
    }

    @Test func transcriptionRefusesUnknownModelsAndParameters() async throws {
        try await withFakeOpenAI { server in
            let clip = Self.wav(seconds: 2, sampleRate: 8_000)
            for (model, extra, status) in [("whisper-1", nil, 200), ("whisper-2", nil, 404), ("whisper-1", ("speaker", "A"), 400)] {
                let form = transcription(model: model, extraField: extra, audio: clip)
                let answer = try await post(server, "/audio/transcriptions", body: form.finished(), contentType: form.contentType)
                #expect(answer.status == status, "\(model) \(String(describing: extra))")
                if status != 200 { expectOpenAIShape(answer) }
            }
        }
    }

    @Test func aBodyOverTwentyFiveMebibytesIsRefusedAs413() async throws {
        try await withFakeOpenAI { server in
            let form = transcription(model: "whisper-1", audio: Data(count: 26_214_401))
            let answer = try await post(server, "/audio/transcriptions", body: form.finished(), contentType: form.contentType)
            #expect(answer.status == 413)
            #expect(answer.error["type"] as? String == "server_error")
            #expect(answer.message.hasPrefix("Maximum content size limit (26214400) exceeded"))
            expectOpenAIShape(answer)
        }
    }

    /// An hour and a bit of 1 kHz 8-bit audio (3.7 MB): the real API transcribes it, and
    /// the fake measures it with ffprobe. Auris's own probe stops at an hour, so a fake
    /// measuring with it would refuse this upload.
    @Test func uploadsAreMeasuredByFFprobeNotByAurissProbe() async throws {
        try await withFakeOpenAI { server in
            let form = transcription(model: "whisper-1", audio: Self.wav(seconds: 3_700, sampleRate: 1_000))
            let answer = try await post(server, "/audio/transcriptions", body: form.finished(), contentType: form.contentType)
            try #require(answer.status == 200, "\(answer.json)")
            let duration = try #require(answer.json["duration"] as? Double)
            #expect(abs(duration - 3_700) < 0.01)
            #expect((answer.json["segments"] as? [Any])?.count == 1_233)
        }
    }

    /// Unsigned 8-bit mono PCM in a RIFF/WAVE container, a quiet sawtooth.
    static func wav(seconds: Int, sampleRate: Int) -> Data {
        let samples = seconds * sampleRate
        var data = Data()
        func append(_ value: UInt32, bytes: Int) {
            for index in 0..<bytes { data.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))) }
        }
        data.append(contentsOf: Array("RIFF".utf8))
        append(UInt32(36 + samples), bytes: 4)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(16, bytes: 4)
        append(1, bytes: 2)  // PCM
        append(1, bytes: 2)  // mono
        append(UInt32(sampleRate), bytes: 4)
        append(UInt32(sampleRate), bytes: 4)  // bytes per second
        append(1, bytes: 2)  // block align
        append(8, bytes: 2)  // bits per sample
        data.append(contentsOf: Array("data".utf8))
        append(UInt32(samples), bytes: 4)
        data.append(contentsOf: (0..<samples).map { UInt8(128 + ($0 % 16)) })
        return data
    }
}
