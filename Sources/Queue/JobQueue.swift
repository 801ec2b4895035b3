import Billing
public import Database

/// The job queue: every change of a job's state and its ledger movement in one
/// transaction, on the database shared by the API and all workers.
///
/// Every change runs with row locks (`writeLockingRows`). An enqueue locks the account's
/// ledger row before its checks — credits, the queued limit, the Idempotency-Key — so
/// enqueues of one account take turns; claims and transitions name the job's old state
/// in their `UPDATE`, which locks and re-checks the row (docs/ARCHITECTURE.md,
/// "PostgreSQL's concurrency").
///
/// ```swift
/// let queue = JobQueue(database: database)
/// let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}"))
/// if let claimed = try await queue.claim(owner: "worker-1") {
///     try await queue.succeed(claimed.claim)
/// }
/// ```
public struct JobQueue: Sendable {
    /// Limits and timings.
    public struct Configuration: Sendable {
        /// Jobs of one account that run at the same time, across all workers.
        public var maxRunningPerAccount: Int = 2
        /// Jobs of one account waiting to run; one more is refused with `tooManyJobs`.
        public var maxQueuedPerAccount: Int = 100
        /// How long a claim or heartbeat keeps a job leased to its worker.
        public var leaseMilliseconds: Int64 = 60_000
        /// Attempts before a transient failure becomes final.
        public var maxAttempts: Int = 5
        public var retry = RetryPolicy()

        public init() {}
    }

    let database: any SQLDatabase

    /// The channel a committed enqueue, or a job put back in the queue, notifies
    /// (PostgreSQL's `NOTIFY`): idle workers on every host listen to it.
    public static let wakeupChannel = "auris_jobs"
    /// The channel a change of a watched job notifies (`watch(jobID:account:forMilliseconds:)`):
    /// its state, stage or progress, committed. Event streams on every host listen to it.
    public static let changeChannel = "auris_job_changes"
    let clock: any WallClock
    public let configuration: Configuration

    public init(database: any SQLDatabase, clock: any WallClock = SystemWallClock(), configuration: Configuration = Configuration()) {
        precondition(configuration.maxRunningPerAccount > 0 && configuration.maxQueuedPerAccount > 0, "queue limits")
        precondition(configuration.leaseMilliseconds > 0 && configuration.maxAttempts > 0, "queue timings")
        self.database = database
        self.clock = clock
        self.configuration = configuration
    }
}
