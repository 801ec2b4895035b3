import Billing
import Database

extension JobQueue {
    /// The lease a claim gives a job.
    struct Lease {
        var claim: JobClaim
        var expiresAtMilliseconds: Int64
    }

    /// What a job records when it ends without success.
    struct JobFailure {
        var code: String
        var message: String

        /// A cancel asked for by the job's client.
        static let canceledByClient = JobFailure(code: JobErrorCodes.canceled, message: "canceled by the client")
    }

    /// The one place a job changes state: moves it through `transition`, resolves its
    /// hold and updates its lane, all in the caller's transaction.
    ///
    /// The `UPDATE` names `transition.from` in its `WHERE`, and for a running job the
    /// token of the claim that holds it too, so a transition that lost a race, or comes
    /// from an attempt whose lease was taken back, changes nothing.
    /// - Parameters:
    ///   - claimedBy: the claim a running job must be held by; nil for a queued job.
    ///   - newLease: the lease of a claimed job; nil for every other transition.
    ///   - failure: the error code and message to record; nil keeps the last ones.
    ///   - runAtMilliseconds: when a job put back in the queue is due; nil keeps its time.
    /// - Returns: false when the job was not in `transition.from` (or held by another
    ///   claim): nothing changed.
    static func apply(
        _ transition: JobTransition, jobID: String, claimedBy claim: JobClaim?, newLease: Lease? = nil,
        failure: JobFailure? = nil, runAtMilliseconds: Int64? = nil, now: Int64, in db: any SQLConnection
    ) throws -> Bool {
        let target = transition.to
        precondition((transition.from == .running) == (claim != nil), "a running job is settled by its claim")
        precondition(claim.map { $0.jobID == jobID } ?? true, "a claim settles its own job")
        precondition((target == .running) == (newLease != nil), "a job runs under a lease")
        precondition(newLease.map { $0.claim.jobID == jobID } ?? true, "a lease is of its own job")
        let attemptsDelta =
            switch transition {
            case .claim: 1
            // A lease given back on shutdown does not use up an attempt.
            case .giveBack: -1
            default: 0
            }
        let updated = try db.queryFirst(
            """
            UPDATE jobs SET state = ?1, lease_owner = ?2, lease_expires_at_ms = ?3, claim_token = ?15,
                attempts = attempts + ?4,
                started_at_ms = coalesce(started_at_ms, ?5), finished_at_ms = ?6,
                error_code = coalesce(?7, error_code), error_message = coalesce(?8, error_message),
                run_at_ms = coalesce(?9, run_at_ms),
                progress = CASE WHEN ?10 = 1 THEN 1.0 ELSE progress END,
                stage = CASE WHEN ?10 = 1 THEN 'done' ELSE stage END, updated_at_ms = ?11
            WHERE id = ?12 AND state = ?13 AND (CAST(?14 AS TEXT) IS NULL OR claim_token = ?14)
            RETURNING account_id, hold_id, watched_until_ms
            """,
            target.rawValue, newLease?.claim.owner, newLease?.expiresAtMilliseconds, attemptsDelta,
            newLease == nil ? nil : now, target.isFinished ? now : nil, failure?.code, failure?.message,
            runAtMilliseconds, target == .succeeded, now, jobID, transition.from.rawValue, claim?.token,
            newLease?.claim.token
        ) { row in
            (account: row["account_id"] as Int64, holdID: row["hold_id"] as String,
             watchedUntil: row["watched_until_ms"] as Int64?)
        }
        guard let updated else { return false }

        let ledger = Ledger(db)
        let resolution: HoldResolution? =
            switch transition.holdResolution {
            case .keep: nil
            case .post: try ledger.post(holdID: updated.holdID, at: now)
            case .void: try ledger.void(holdID: updated.holdID, at: now)
            }
        if let resolution, !resolution.moved {
            // An unfinished job always owns a pending hold; anything else is a broken
            // ledger, and rolling back is the only safe answer.
            assertionFailure("job \(jobID) was \(transition.from.rawValue) with its hold \(resolution)")
            throw QueueError.brokenInvariant("job \(jobID) was \(transition.from.rawValue) with its hold \(resolution)")
        }
        // A job back in the queue may be claimed by an idle worker on any host.
        if target == .queued { try db.notify(channel: JobQueue.wakeupChannel) }
        // The end of a job and its webhook deliveries commit together (docs/ARCHITECTURE.md, "Webhooks").
        if target.isFinished { try WebhookEvents.record(jobID: jobID, account: updated.account, state: target, now: now, in: db) }
        try notifyChange(watchedUntilMilliseconds: updated.watchedUntil, now: now, in: db)
        func count(_ state: JobState) -> Int { (target == state ? 1 : 0) - (transition.from == state ? 1 : 0) }
        try Lanes(db: db).adjust(
            account: updated.account, queuedDelta: count(.queued), runningDelta: count(.running),
            servedAtMilliseconds: target == .running ? now : nil)
        return true
    }
}

extension JobQueue {
    /// Tells event streams on every host that a job changed, when one watches it.
    static func notifyChange(watchedUntilMilliseconds: Int64?, now: Int64, in db: any SQLConnection) throws {
        if let watchedUntilMilliseconds, watchedUntilMilliseconds >= now { try db.notify(channel: changeChannel) }
    }
}

/// The error codes the queue itself writes on jobs, as clients see them.
public enum JobErrorCodes {
    /// The job's client canceled it.
    public static let canceled = "canceled"
    /// The job's worker was lost (its lease expired, or it exited) on the last attempt.
    public static let workerLost = "worker_lost"
}
