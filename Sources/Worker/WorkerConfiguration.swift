public import MediaStore

/// How one worker process runs jobs.
public struct WorkerConfiguration: Sendable {
    /// Who holds the leases this process takes; unique per process (`auris up` names its
    /// children so it can release their leases the moment one dies).
    public var workerID: String
    /// This host's data folder: the database on SQLite, and the jobs' work folders.
    public var dataDirectory: String
    /// `AURIS_MEDIA_URL`: where uploads are read from and results put; by default a
    /// folder in `dataDirectory`.
    public var media: any MediaStore
    /// Job slots: jobs this process runs at the same time (`AURIS_WORKER_CONCURRENCY`).
    public var concurrency: Int = 4
    /// How long an idle slot waits before it looks for work again, when no wake-up came.
    public var pollIntervalMilliseconds: Int64 = 500
    /// How often a running job reports progress at most, and checks for a cancel.
    public var progressIntervalMilliseconds: Int64 = 1_000
    /// How often the process takes back jobs whose worker's lease expired.
    public var rescueIntervalMilliseconds: Int64 = 5_000
    /// After SIGTERM, how long running jobs may take to finish before their leases are
    /// given back.
    public var shutdownGraceMilliseconds: Int64 = 30_000
    /// How long results are kept (`AURIS_RESULT_TTL_HOURS`).
    public var resultTTLHours: Int64 = 72
    /// How often results past their TTL, abandoned uploads and the work folders of
    /// finished jobs are removed.
    public var sweepIntervalMilliseconds: Int64 = 600_000
    /// Completion webhooks this process delivers; nil delivers none.
    public var webhooks: WebhookDelivery?

    public init(workerID: String, dataDirectory: String) {
        self.workerID = workerID
        self.dataDirectory = dataDirectory
        media = LocalFolderMediaStore(root: dataDirectory)
    }
}
