/// The endpoints the fake OpenAI server answers (under `/v1`).
public enum FakeOpenAIEndpoint: String, Sendable, Codable, CaseIterable {
    /// `POST /v1/audio/transcriptions`
    case transcriptions
    /// `POST /v1/chat/completions`
    case chatCompletions = "chat_completions"
    /// `POST /v1/audio/speech`
    case speech
}

/// A misbehaviour the fake server shows on chosen calls, as the real API does now and then.
///
/// Over HTTP (`POST /_fake/faults`) a fault is written the way Swift encodes enums, e.g.
/// `{"rateLimited": {"retryAfterSeconds": 2}}` or `{"serverError": {}}`.
public enum FakeOpenAIFault: Sendable, Codable, Equatable {
    /// 429 `rate_limit_exceeded` with `Retry-After: <seconds>`.
    case rateLimited(retryAfterSeconds: Int)
    /// 429 `insufficient_quota`: the account is out of money; never worth a retry.
    case insufficientQuota
    /// 500 `server_error`.
    case serverError
    /// 400 `invalid_request_error`.
    case badRequest
    /// Never answers (until the server stops): the client must time out.
    case hang
    /// Answers normally, after this delay.
    case delay(milliseconds: Int)
    /// Chat only: a 200 answer that leaves out one segment id (a model's mistake).
    case dropSegment
    /// 303 to `/_fake/stats` (which answers 200 to the GET a follower would send): a
    /// client that follows it sends its key where the base URL did not say.
    case redirect
}

/// What the fake server has seen, for tests and for scripts (`GET /_fake/stats`).
public struct FakeOpenAIStats: Sendable, Codable, Equatable {
    /// Every request per endpoint, faulted or not.
    public var calls: [String: Int]
    /// Requests answered with a 200 per endpoint: what a real account would be billed for.
    public var answered: [String: Int]
    /// Answered requests per endpoint and input (speech: the text; chat: the segments'
    /// texts; transcription: a hash of the audio).
    public var answeredByInput: [String: [String: Int]]
    /// The most calls per endpoint in flight at once (past the rate limit, before the answer).
    public var maxInFlight: [String: Int] = [:]
    /// Calls per endpoint refused with a 429 by the rate limit (`FakeOpenAIRateLimit`).
    public var rateLimited: [String: Int] = [:]

    /// Inputs answered more than once: a step paid twice.
    public var duplicates: [String: [String]] {
        self.answeredByInput.mapValues { counts in counts.filter { $0.value > 1 }.keys.sorted() }
            .filter { !$0.value.isEmpty }
    }
}
