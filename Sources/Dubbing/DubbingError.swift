/// Why a dubbing attempt failed, and whether another attempt may succeed.
///
/// `code` is stable: the worker stores it on the job and the API shows it to users.
/// `isTransient` decides between a retry (with `retryAfterSeconds` as the least
/// delay, when the provider said so) and a permanent failure.
public struct DubbingError: Error, Sendable, CustomStringConvertible {
    private enum Code: String {
        case providerRateLimited = "provider_rate_limited"
        case providerUnavailable = "provider_unavailable"
        case providerTimeout = "provider_timeout"
        case providerConnection = "provider_connection"
        case providerBadResponse = "provider_bad_response"
        case insufficientQuota = "insufficient_quota"
        case providerUnauthorized = "provider_unauthorized"
        case providerRejected = "provider_rejected"
        case diarizationRefused = "diarization_refused"
        case invalidAudio = "invalid_audio"
        case invalidSubtitles = "invalid_subtitles"
        case noSpeech = "no_speech"
        case tooMuchText = "too_much_text"
        case unsupported = "engine_unsupported"
        case canceled
        case ffmpegFailed = "ffmpeg_failed"
        case ffmpegTimeout = "ffmpeg_timeout"
        case storageFailed = "storage_failed"
        case invalidConfiguration = "invalid_configuration"
    }

    private let kind: Code
    /// Human-readable detail for logs and the job's error message; never contains the API key.
    public let message: String
    /// Whether another attempt may succeed (rate limits, outages, timeouts, network errors).
    public let isTransient: Bool
    /// The provider's `retry-after`, in seconds, capped; `nil` when it gave none.
    public let retryAfterSeconds: Double?

    /// The stable code, e.g. `provider_rate_limited`, `insufficient_quota`, `canceled`.
    public var code: String { self.kind.rawValue }

    /// Whether the run stopped because its task was cancelled (`DubbingError.canceled`),
    /// not because of the request or the provider.
    public var isCanceled: Bool { self.kind == .canceled }

    private init(_ kind: Code, _ message: String, transient: Bool, retryAfterSeconds: Double? = nil) {
        self.kind = kind
        self.message = message
        self.isTransient = transient
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let retryAfterSeconds { text += " (retry after \(retryAfterSeconds) s)" }
        return text
    }

    // The errors an engine throws. Public so that a fake engine (in the worker's tests) can throw them too.

    /// 429 `rate_limit_exceeded`: transient, after `retryAfterSeconds` when given.
    public static func providerRateLimited(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerRateLimited, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    /// 409 or 5xx: the provider is struggling; transient.
    public static func providerUnavailable(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerUnavailable, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    /// No answer in time (or 408); transient.
    public static func providerTimeout(_ message: String, retryAfterSeconds: Double? = nil) -> DubbingError {
        DubbingError(.providerTimeout, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    /// No connection (refused, reset, DNS); transient.
    public static func providerConnection(_ message: String) -> DubbingError {
        DubbingError(.providerConnection, message, transient: true)
    }
    /// A success status with a body that does not say what it should; the provider's
    /// glitch (or a model's malformed output), so worth another attempt.
    public static func providerBadResponse(_ message: String) -> DubbingError {
        DubbingError(.providerBadResponse, message, transient: true)
    }
    /// The provider account is out of credit: no retry helps until an operator pays.
    public static func insufficientQuota(_ message: String) -> DubbingError {
        DubbingError(.insufficientQuota, message, transient: false)
    }
    /// 401/403: the API key is wrong or lacks access; permanent.
    public static func providerUnauthorized(_ message: String) -> DubbingError {
        DubbingError(.providerUnauthorized, message, transient: false)
    }
    /// Any other 4xx, or a refusal by the model; permanent.
    public static func providerRejected(_ message: String) -> DubbingError {
        DubbingError(.providerRejected, message, transient: false)
    }
    /// The provider refused to tell the speakers apart (a 4xx from the diarizing model):
    /// another attempt would be refused the same way, so permanent.
    public static func diarizationRefused(_ message: String) -> DubbingError {
        DubbingError(.diarizationRefused, message, transient: false)
    }
    /// Whether the provider refused the request itself (a 4xx other than auth or quota).
    var isProviderRejection: Bool { kind == .providerRejected }
    /// A 429 of the provider's rate limit (not of its quota): nothing was done or paid.
    var isRateLimited: Bool { kind == .providerRateLimited }
    /// The provider asked for a retry (`x-should-retry: true`) on a status we would not retry.
    static func providerRetryRequested(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerUnavailable, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    /// The upload's audio cannot be decoded, or is empty; permanent.
    public static func invalidAudio(_ message: String) -> DubbingError {
        DubbingError(.invalidAudio, message, transient: false)
    }
    /// The subtitles cannot be read (the message names the line); permanent.
    public static func invalidSubtitles(_ message: String) -> DubbingError {
        DubbingError(.invalidSubtitles, message, transient: false)
    }
    /// More text to voice than the audio's length pays for (`SpeechBudget`); permanent.
    public static func tooMuchText(_ message: String) -> DubbingError {
        DubbingError(.tooMuchText, message, transient: false)
    }
    /// Whether the request itself cannot be dubbed (bad subtitles, too much text): the API
    /// refuses such an upload with 422 before any credit is held.
    public var isRequestRefusal: Bool { kind == .invalidSubtitles || kind == .tooMuchText }
    /// Speech-to-text found nothing to dub; permanent.
    public static func noSpeech(_ message: String) -> DubbingError {
        DubbingError(.noSpeech, message, transient: false)
    }
    /// The engine cannot do this request (language, voice, missing subtitles); permanent.
    public static func unsupported(_ message: String) -> DubbingError {
        DubbingError(.unsupported, message, transient: false)
    }
    /// The task was cancelled (the job was cancelled, or its lease lost).
    public static let canceled = DubbingError(.canceled, "the job was canceled", transient: false)
    /// ffmpeg or espeak-ng failed on this input; it would fail again, so permanent.
    public static func ffmpegFailed(_ message: String) -> DubbingError {
        DubbingError(.ffmpegFailed, message, transient: false)
    }
    /// ffmpeg or espeak-ng ran out of time; may pass on a less busy machine, so transient.
    public static func ffmpegTimeout(_ message: String) -> DubbingError {
        DubbingError(.ffmpegTimeout, message, transient: true)
    }
    /// Reading or writing the work folder failed (disk full, permissions): the host's problem.
    public static func storageFailed(_ message: String) -> DubbingError {
        DubbingError(.storageFailed, message, transient: true)
    }
    /// The engine settings (or the work folder) are wrong; permanent.
    public static func invalidConfiguration(_ message: String) -> DubbingError {
        DubbingError(.invalidConfiguration, message, transient: false)
    }
}
