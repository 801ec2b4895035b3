import Hummingbird

/// What the real API accepts per endpoint, so the fake refuses what OpenAI refuses: an
/// unknown model (404 `model_not_found`), a parameter the endpoint does not take (400
/// "Unrecognized request argument supplied"), each in OpenAI's error JSON. A client that
/// passes here with a typo'd model or a stray field would fail in production.
enum FakeOpenAIRules {
    static let transcriptionModels: Set<String> = [
        "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-transcribe-diarize",
    ]
    static let transcriptionFields: Set<String> = [
        "file", "model", "response_format", "timestamp_granularities[]", "language", "prompt", "temperature",
        "chunking_strategy", "include[]", "stream", "known_speaker_names[]", "known_speaker_references[]",
    ]
    static let speechModels: Set<String> = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"]
    static let speechFields: Set<String> = ["model", "input", "voice", "response_format", "speed", "instructions", "stream_format"]
    /// Chat models that answer a strict `json_schema` response format.
    static let chatModels: Set<String> = [
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano",
        "o1", "o3", "o3-mini", "o4-mini",
    ]
    static let chatFields: Set<String> = [
        "model", "messages", "response_format", "temperature", "top_p", "n", "stream", "stream_options", "stop",
        "max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs",
        "top_logprobs", "user", "seed", "tools", "tool_choice", "parallel_tool_calls", "store", "metadata",
        "reasoning_effort", "service_tier", "modalities", "audio", "prediction", "verbosity", "safety_identifier",
        "prompt_cache_key", "web_search_options",
    ]
    /// OpenAI's limit on one request body (and so on an uploaded file): 25 MiB.
    static let maxContentBytes = 26_214_400

    /// A model of `models`, or one of its dated snapshots (`gpt-4o-mini-2024-07-18`).
    static func isKnown(_ model: String, in models: Set<String>) -> Bool {
        if models.contains(model) { return true }
        let parts = model.split(separator: "-")
        guard parts.count > 3 else { return false }
        let date = parts.suffix(3)
        let isDate = zip(date, [4, 2, 2]).allSatisfy { part, count in part.count == count && part.allSatisfy(\.isNumber) }
        return isDate && models.contains(parts.dropLast(3).joined(separator: "-"))
    }

    /// The refusal for the first problem of a request's model and parameter names, if any.
    static func refusal(model: String?, fields: some Sequence<String>, models: Set<String>, known: Set<String>) -> Response? {
        for field in fields.sorted() where !known.contains(field) {
            return FakeOpenAIServer.error(
                .badRequest, "Unrecognized request argument supplied: \(field)", type: "invalid_request_error", code: nil)
        }
        guard let model else {
            return FakeOpenAIServer.error(
                .badRequest, "you must provide a model parameter", type: "invalid_request_error", code: nil, param: "model")
        }
        guard isKnown(model, in: models) else {
            return FakeOpenAIServer.error(
                .notFound, "The model `\(model)` does not exist or you do not have access to it.",
                type: "invalid_request_error", code: "model_not_found", param: "model")
        }
        return nil
    }

    /// 413 as OpenAI answers a body over its limit.
    static func tooLarge(bytes: Int?) -> Response {
        FakeOpenAIServer.error(
            .contentTooLarge,
            "Maximum content size limit (\(maxContentBytes)) exceeded (\(bytes.map(String.init) ?? "more than \(maxContentBytes)") bytes read)",
            type: "server_error", code: nil)
    }
}
