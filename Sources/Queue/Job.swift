public import Billing

/// A job as clients and operators see it.
public struct Job: Sendable, Equatable, Codable {
    public var id: String
    public var account: AccountID
    public var state: JobState
    public var cancelRequested: Bool
    public var priority: Int64
    public var runAtMilliseconds: Int64
    public var attempts: Int
    public var maxAttempts: Int
    public var leaseOwner: String?
    public var leaseExpiresAtMilliseconds: Int64?
    public var holdID: String
    public var credits: Int64
    public var durationMilliseconds: Int64
    /// What the job is to do, as the enqueuer wrote it (JSON); the queue does not read it.
    public var payload: String
    public var stage: String?
    public var progress: Double
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAtMilliseconds: Int64
    public var startedAtMilliseconds: Int64?
    public var finishedAtMilliseconds: Int64?
}

/// One claim of a job: what its heartbeats and its settle must present.
///
/// The owner is the worker process; the token is this attempt's alone. After the lease
/// expires and the job is claimed again, even by another slot of the same process, the
/// earlier attempt's claim matches no row and settles nothing.
public struct JobClaim: Sendable, Hashable {
    public let jobID: String
    public let owner: String
    /// Stored on the job row while this claim holds it; never shown to clients.
    let token: String
}

/// What a worker receives from a claim.
public struct ClaimedJob: Sendable, Equatable {
    public var id: String
    /// This attempt's claim, for its heartbeats and its settle.
    public var claim: JobClaim
    public var account: AccountID
    public var payload: String
    /// The upload the job reads, when it has one.
    public var uploadID: String?
    /// This attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var credits: Int64
    public var durationMilliseconds: Int64
    /// The stage the previous attempt reached, if any.
    public var stage: String?
    public var leaseExpiresAtMilliseconds: Int64
}

/// A request to run a job, paid for by a hold on the account's credits.
public struct EnqueueRequest: Sendable {
    public var account: AccountID
    public var credits: Int64
    public var durationMilliseconds: Int64
    public var payload: String
    /// The upload the job reads: kept while the job is unfinished
    /// (`JobQueue.hasUnfinishedJob(uploadID:)`).
    public var uploadID: String?
    public var priority: Int64
    /// With a fingerprint of the request: the same key and fingerprint return the first
    /// job; the same key with another fingerprint is refused.
    public var idempotencyKey: String?
    public var requestFingerprint: String?

    public init(
        account: AccountID, credits: Int64, durationMilliseconds: Int64, payload: String, uploadID: String? = nil,
        priority: Int64 = 0, idempotencyKey: String? = nil, requestFingerprint: String? = nil
    ) {
        self.account = account
        self.credits = credits
        self.durationMilliseconds = durationMilliseconds
        self.payload = payload
        self.uploadID = uploadID
        self.priority = priority
        self.idempotencyKey = idempotencyKey
        self.requestFingerprint = requestFingerprint
    }
}

/// What `enqueue` did.
public enum EnqueueOutcome: Sendable, Equatable {
    /// A new job, with its hold, and the account's credits left available.
    case created(Job, availableCredits: Int64)
    /// The idempotency key named an earlier identical request: nothing was created.
    case replayed(Job)

    public var job: Job {
        switch self {
        case .created(let job, _), .replayed(let job): job
        }
    }
}

/// What a settling call did. A worker that lost its lease settles nothing.
public enum Settlement: Sendable, Equatable {
    case settled(JobState)
    /// Back in the queue, due again at this time.
    case retryScheduled(runAtMilliseconds: Int64)
    /// The job is no longer held by this claim (rescued, claimed again, given back, or
    /// finished): nothing changed.
    case leaseLost
}

/// What a heartbeat learned.
public enum HeartbeatOutcome: Sendable, Equatable {
    case extended(untilMilliseconds: Int64, cancelRequested: Bool)
    /// Stop working on the job and settle nothing.
    case leaseLost
}

/// What a client's cancel did.
public enum CancelOutcome: Sendable, Equatable {
    /// A queued job, canceled and its hold released.
    case canceled
    /// A running job; its worker stops at its next check and releases the hold.
    case cancelRequested
    /// Nothing to do: the job had already ended in this state.
    case alreadyFinished(JobState)
    case notFound
}
