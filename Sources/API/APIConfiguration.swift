import Dubbing
public import HTTPTransport
public import MediaStore
public import Queue

/// Everything the HTTP API needs to know, resolved from flags and environment by `auris`.
public struct APIConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// `AURIS_DATA_DIR`: the database on SQLite, and this host's upload spool.
    public var dataDirectory: String
    /// `AURIS_MEDIA_URL`: where uploads are put and results read; by default a folder in
    /// `dataDirectory`.
    public var media: any MediaStore
    /// `AURIS_RESULT_REDIRECT=1`: a result download is redirected to a presigned URL of
    /// the store, valid this long, instead of streamed through the API (when the store
    /// hands out URLs: S3 does, a local folder does not).
    public var resultRedirectSeconds: Int?
    /// `AURIS_MAX_UPLOAD_BYTES`: the largest audio file accepted.
    public var maxUploadBytes: Int64 = 200 * 1_024 * 1_024
    /// `AURIS_MAX_VIDEO_BYTES`: the largest video file accepted. Until the probe has
    /// said whether an upload is a video, the larger of the two limits bounds it.
    public var maxVideoUploadBytes: Int64 = 2 * 1_024 * 1_024 * 1_024
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
    /// Where webhook endpoints may point (`AURIS_WEBHOOK_ALLOW_PRIVATE`).
    public var webhookDestinations = DestinationPolicy()
    public var signIn = SignInConfiguration()

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        media = LocalFolderMediaStore(root: dataDirectory)
    }

    var files: JobFiles { JobFiles(dataDirectory: dataDirectory) }

    var uploadLimits: UploadLimits { UploadLimits(maxAudioBytes: maxUploadBytes, maxVideoBytes: maxVideoUploadBytes) }
}

/// Email and password accounts: who may sign up, what they get, and how hard guessing is.
public struct SignInConfiguration: Sendable {
    /// `AURIS_SIGNUP`: `open` lets anyone sign up; `closed` leaves only `auris accounts create`.
    public var signupOpen = true
    /// `AURIS_SIGNUP_CREDITS`: free credits each new account gets once.
    public var signupCredits: Int64 = 10
    /// `AURIS_BCRYPT_COST`: log2 of bcrypt's rounds (12 takes about a quarter second).
    public var bcryptCost: UInt8 = 12
    /// `AURIS_LOGIN_LIMIT_PER_MINUTE`: sign-in attempts per client address and per email.
    public var loginAttemptsPerMinute = 10
    /// `AURIS_SIGNUP_LIMIT_PER_HOUR`: sign-ups per client address and per email.
    public var signupsPerHour = 10
    /// How long a browser stays signed in.
    public var sessionLifetimeSeconds: Int64 = 30 * 86_400

    public init() {}
}
