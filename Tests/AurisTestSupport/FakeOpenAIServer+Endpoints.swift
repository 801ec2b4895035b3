import Crypto
import Foundation
import Hummingbird
import NIOCore

extension FakeOpenAIServer {
    static let speechVoices: Set<String> = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar",
    ]
    static let audioExtensions: Set<String> = ["flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"]

    /// `verbose_json` with one segment per `transcriptionSegmentSeconds` of the uploaded
    /// audio (measured in-process); each text names the audio's hash so texts of
    /// different uploads differ.
    func transcribe(_ request: Request, body: ByteBuffer) async throws -> Outcome {
        guard let form = FakeOpenAIMultipart.parse(body, contentType: request.headers[.contentType]) else {
            return .refusal(Self.error(.badRequest, "Could not parse multipart form", type: "invalid_request_error", code: nil))
        }
        guard let file = form.files["file"], let fileName = file.fileName,
              Self.audioExtensions.contains(URL(fileURLWithPath: fileName).pathExtension.lowercased())
        else {
            return .refusal(Self.error(
                .badRequest, "Invalid file format. Supported formats: \(Self.audioExtensions.sorted())",
                type: "invalid_request_error", code: nil, param: "file"
            ))
        }
        if let refusal = FakeOpenAIRules.refusal(
            model: form.fields["model"], fields: Array(form.fields.keys) + Array(form.files.keys),
            models: FakeOpenAIRules.transcriptionModels, known: FakeOpenAIRules.transcriptionFields)
        {
            return .refusal(refusal)
        }
        if let model = form.fields["model"], FakeOpenAIRules.isKnown(model, in: ["gpt-4o-transcribe-diarize"]) {
            return await self.diarize(form, file: file.contents, fileName: fileName)
        }
        guard form.fields["model"] == "whisper-1" else {
            return .refusal(Self.error(.badRequest, "Only whisper-1 answers verbose_json here", type: "invalid_request_error", code: nil, param: "model"))
        }
        guard form.fields["response_format"] == "verbose_json", form.fields["timestamp_granularities[]"] == "segment" else {
            return .refusal(Self.error(.badRequest, "Expected verbose_json with segment timestamps", type: "invalid_request_error", code: nil))
        }
        guard let durationSeconds = await self.audio.durationSeconds(of: file.contents, fileName: fileName), durationSeconds > 0 else {
            return .refusal(Self.error(
                .badRequest, "The audio file could not be decoded or its format is not supported.",
                type: "invalid_request_error", code: nil
            ))
        }
        let hash = SHA256.hash(data: file.contents).map { String(format: "%02x", $0) }.joined().prefix(8)
        let count = max(1, Int((durationSeconds / self.configuration.transcriptionSegmentSeconds).rounded()))
        let length = durationSeconds / Double(count)
        let segments: [[String: Any]] = (0..<count).map { index in
            [
                "id": index, "seek": 0,
                "start": Double(index) * length, "end": Double(index) * length + length * 0.9,
                "text": " Line \(index + 1) of audio \(hash).",
                "tokens": [Int](), "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.1, "no_speech_prob": 0.01,
            ]
        }
        let text = segments.compactMap { $0["text"] as? String }.joined()
        return .answer(
            Self.json(["task": "transcribe", "language": form.fields["language"] ?? "english", "duration": durationSeconds, "text": text, "segments": segments]),
            input: "audio \(hash)", units: durationSeconds
        )
    }

    /// A structured answer mapping every segment id of the request to a "translated" text.
    func complete(body: ByteBuffer, dropSegment: Bool) -> Outcome {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let messages = object["messages"] as? [[String: Any]],
              let input = messages.last(where: { $0["role"] as? String == "user" })?["content"] as? String,
              let segments = (try? JSONSerialization.jsonObject(with: Data(input.utf8)) as? [String: Any])?["segments"] as? [[String: Any]]
        else {
            return .refusal(Self.error(.badRequest, "Expected a user message holding {\"segments\": [...]}", type: "invalid_request_error", code: nil))
        }
        if let refusal = FakeOpenAIRules.refusal(
            model: object["model"] as? String, fields: object.keys, models: FakeOpenAIRules.chatModels,
            known: FakeOpenAIRules.chatFields)
        {
            return .refusal(refusal)
        }
        guard let format = object["response_format"] as? [String: Any], format["type"] as? String == "json_schema",
              let schema = format["json_schema"] as? [String: Any], schema["strict"] as? Bool == true, schema["name"] is String
        else {
            return .refusal(Self.error(.badRequest, "Expected a strict json_schema response_format", type: "invalid_request_error", code: nil, param: "response_format"))
        }
        var translated = segments.map { segment -> [String: Any] in
            ["id": segment["id"] ?? -1, "text": "[translated] \(segment["text"] as? String ?? "")"]
        }
        if dropSegment, !translated.isEmpty { translated.removeLast() }
        let content = (try? JSONSerialization.data(withJSONObject: ["segments": translated], options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return .answer(Self.json([
            "id": "chatcmpl-fake", "object": "chat.completion", "model": object["model"] ?? "gpt-4o-mini",
            "choices": [["index": 0, "message": ["role": "assistant", "content": content, "refusal": NSNull()] as [String: Any], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": input.count / 4, "completion_tokens": content.count / 4, "total_tokens": (input.count + content.count) / 4],
        ]), input: segments.compactMap { $0["text"] as? String }.joined(separator: "\n"), units: Double(input.count))
    }

    /// Real audio bytes (`mp3`, the API's default, or raw `pcm`): a tone whose length grows with the text.
    func speak(body: ByteBuffer) async throws -> Outcome {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let input = object["input"] as? String, let voice = object["voice"] as? String, object["model"] is String
        else {
            return .refusal(Self.error(.badRequest, "Expected model, input and voice", type: "invalid_request_error", code: nil))
        }
        let model = object["model"] as? String
        if let refusal = FakeOpenAIRules.refusal(
            model: model, fields: object.keys, models: FakeOpenAIRules.speechModels, known: FakeOpenAIRules.speechFields)
        {
            return .refusal(refusal)
        }
        guard !input.isEmpty, input.count <= 4096 else {
            return .refusal(Self.error(
                .badRequest, "Input should have at most 4096 characters (and at least 1).", type: "invalid_request_error",
                code: "string_above_max_length", param: "input"))
        }
        if object["instructions"] != nil, model == "tts-1" || model == "tts-1-hd" {
            return .refusal(Self.error(
                .badRequest, "Instructions are not supported with tts-1 and tts-1-hd.", type: "invalid_request_error", code: nil,
                param: "instructions"))
        }
        if let speed = object["speed"] {
            guard let value = speed as? Double, (0.25...4).contains(value) else {
                return .refusal(Self.error(
                    .badRequest, "speed must be a number from 0.25 to 4.0.", type: "invalid_request_error", code: nil, param: "speed"))
            }
        }
        guard Self.speechVoices.contains(voice) else {
            return .refusal(Self.error(.badRequest, "Invalid voice \(voice)", type: "invalid_request_error", code: nil, param: "voice"))
        }
        if let instructions = object["instructions"], !(instructions is String) {
            return .refusal(Self.error(.badRequest, "instructions must be a string", type: "invalid_request_error", code: nil, param: "instructions"))
        }
        let format = object["response_format"] as? String ?? "mp3"
        guard format == "mp3" || format == "pcm" else {
            return .refusal(Self.error(.badRequest, "The fake speaks mp3 and pcm only", type: "invalid_request_error", code: nil, param: "response_format"))
        }
        self.recorder.record(FakeSpeechRequest(
            model: model ?? "", input: input, voice: voice, instructions: object["instructions"] as? String))
        let seconds = min(20, max(0.3, Double(input.count) * self.configuration.speechSecondsPerCharacter))
        let tenths = Int((seconds * 10).rounded())
        let (audio, contentType) = format == "pcm"
            ? (self.audio.pcmTone(tenthsOfSecond: tenths), "audio/pcm")
            : (try await self.audio.tone(tenthsOfSecond: tenths), "audio/mpeg")
        return .answer(
            Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: audio))),
            input: input, units: Double(input.count)
        )
    }
}
