import Dubbing
public import Queue

/// Everything the HTTP API needs to know, resolved from flags and environment by `auris`.
public struct APIConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// `AURIS_DATA_DIR`: the database, uploads and results.
    public var dataDirectory: String
    /// `AURIS_MAX_UPLOAD_BYTES`: the largest audio file accepted.
    public var maxUploadBytes: Int64 = 200 * 1_024 * 1_024
    /// `AURIS_MAX_DURATION_SECONDS`: the longest audio accepted.
    public var maxDurationSeconds: Int64 = 3_600
    /// `AURIS_CORS_ORIGINS`: origins allowed to call the API from a browser.
    public var corsOrigins: [String] = []
    /// `AURIS_PUBLIC_URL`: where clients reach this server (links in answers, Checkout).
    public var publicURL: String = "http://127.0.0.1:8080"
    /// Uploads probed at the same time; more wait, so a burst cannot take every core.
    public var maxConcurrentProbes: Int = 4
    /// `AURIS_ACCOUNT_MAX_UPLOADS`: uploads one account may have in progress at once;
    /// one more is refused with 429 `too_many_uploads`.
    public var maxConcurrentUploadsPerAccount: Int = 4
    /// `AURIS_ACCOUNT_MAX_STREAMS`: event streams (`GET /api/dub/{id}/events`) one account
    /// may have open at once; one more is refused with 429 `too_many_streams`.
    public var maxConcurrentStreamsPerAccount: Int = 4
    /// `AURIS_HEADER_TIMEOUT_SECONDS`: how long a connection may take to send a whole
    /// request head, and stay idle between requests.
    public var requestHeaderTimeoutSeconds: Int64 = 30
    /// `AURIS_BODY_TIMEOUT_SECONDS`: how long an unfinished request body may send nothing.
    public var bodyProgressTimeoutSeconds: Int64 = 60
    /// `AURIS_METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`.
    public var metricsToken: String?
    public var queue = JobQueue.Configuration()

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    var files: JobFiles { JobFiles(dataDirectory: dataDirectory) }
}
