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
        case invalidAudio = "invalid_audio"
        case invalidSubtitles = "invalid_subtitles"
        case noSpeech = "no_speech"
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

    public static func providerRateLimited(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerRateLimited, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    public static func providerUnavailable(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerUnavailable, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    public static func providerTimeout(_ message: String, retryAfterSeconds: Double? = nil) -> DubbingError {
        DubbingError(.providerTimeout, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    public static func providerConnection(_ message: String) -> DubbingError {
        DubbingError(.providerConnection, message, transient: true)
    }
    /// A success status with a body that does not say what it should; the provider's
    /// glitch (or a model's malformed output), so worth another attempt.
    public static func providerBadResponse(_ message: String) -> DubbingError {
        DubbingError(.providerBadResponse, message, transient: true)
    }
    public static func insufficientQuota(_ message: String) -> DubbingError {
        DubbingError(.insufficientQuota, message, transient: false)
    }
    public static func providerUnauthorized(_ message: String) -> DubbingError {
        DubbingError(.providerUnauthorized, message, transient: false)
    }
    public static func providerRejected(_ message: String) -> DubbingError {
        DubbingError(.providerRejected, message, transient: false)
    }
    /// The provider asked for a retry (`x-should-retry: true`) on a status we would not retry.
    static func providerRetryRequested(_ message: String, retryAfterSeconds: Double?) -> DubbingError {
        DubbingError(.providerUnavailable, message, transient: true, retryAfterSeconds: retryAfterSeconds)
    }
    public static func invalidAudio(_ message: String) -> DubbingError {
        DubbingError(.invalidAudio, message, transient: false)
    }
    public static func invalidSubtitles(_ message: String) -> DubbingError {
        DubbingError(.invalidSubtitles, message, transient: false)
    }
    public static func noSpeech(_ message: String) -> DubbingError {
        DubbingError(.noSpeech, message, transient: false)
    }
    public static func unsupported(_ message: String) -> DubbingError {
        DubbingError(.unsupported, message, transient: false)
    }
    public static let canceled = DubbingError(.canceled, "the job was canceled", transient: false)
    public static func ffmpegFailed(_ message: String) -> DubbingError {
        DubbingError(.ffmpegFailed, message, transient: false)
    }
    public static func ffmpegTimeout(_ message: String) -> DubbingError {
        DubbingError(.ffmpegTimeout, message, transient: true)
    }
    /// Reading or writing the work folder failed (disk full, permissions): the host's problem.
    public static func storageFailed(_ message: String) -> DubbingError {
        DubbingError(.storageFailed, message, transient: true)
    }
    public static func invalidConfiguration(_ message: String) -> DubbingError {
        DubbingError(.invalidConfiguration, message, transient: false)
    }
}
