import Billing
import Database

extension JobQueue {
    /// The job succeeded: its hold is posted (the credits are spent).
    public func succeed(jobID: String, owner: String) async throws -> Settlement {
        try await settle(jobID: jobID, owner: owner, transition: .succeed)
    }

    /// The job cannot succeed (bad input, refused by the provider): its hold is voided.
    public func fail(jobID: String, owner: String, errorCode: String, errorMessage: String) async throws -> Settlement {
        try await settle(jobID: jobID, owner: owner, transition: .fail, errorCode: errorCode, errorMessage: errorMessage)
    }

    /// The attempt failed for a reason that may pass: the job runs again after a backoff
    /// (at least `retryAfterMilliseconds`) while attempts remain, else it fails and its
    /// hold is voided.
    public func retry(
        jobID: String, owner: String, errorCode: String, errorMessage: String, retryAfterMilliseconds: Int64? = nil
    ) async throws -> Settlement {
        let policy = configuration.retry
        let now = clock.nowMilliseconds
        return try await database.write { db in
            let attempts = try db.queryFirst(
                "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'",
                jobID, owner
            ) { row in (row[0] as Int, row[1] as Int) }
            guard let (attempt, maxAttempts) = attempts else { return .leaseLost }
            guard attempt < maxAttempts else {
                return try Self.apply(
                    .fail, jobID: jobID, owner: owner, errorCode: errorCode,
                    errorMessage: "\(errorMessage) (gave up after \(attempt) attempts)", now: now, in: db)
            }
            let runAt = now + policy.delayMilliseconds(afterAttempts: attempt, retryAfterMilliseconds: retryAfterMilliseconds)
            return try Self.apply(
                .retry, jobID: jobID, owner: owner, errorCode: errorCode, errorMessage: errorMessage, runAt: runAt,
                now: now, in: db)
        }
    }

    /// The worker stopped a job whose cancel was requested: canceled, hold voided.
    public func settleCanceled(jobID: String, owner: String) async throws -> Settlement {
        try await settle(
            jobID: jobID, owner: owner, transition: .cancelRunning, errorCode: "canceled",
            errorMessage: "canceled by the client")
    }

    /// Gives a job back to the queue unfinished (graceful shutdown): due now, and the
    /// attempt does not count.
    public func giveBack(jobID: String, owner: String) async throws -> Settlement {
        try await settle(jobID: jobID, owner: owner, transition: .giveBack)
    }

    private func settle(
        jobID: String, owner: String, transition: JobTransition, errorCode: String? = nil, errorMessage: String? = nil
    ) async throws -> Settlement {
        let now = clock.nowMilliseconds
        return try await database.write { db in
            try Self.apply(
                transition, jobID: jobID, owner: owner, errorCode: errorCode, errorMessage: errorMessage, now: now,
                in: db)
        }
    }

    /// Moves a running job leased to `owner` through `transition`, resolving its hold and
    /// updating its lane, all in the caller's transaction.
    static func apply(
        _ transition: JobTransition, jobID: String, owner: String, errorCode: String? = nil,
        errorMessage: String? = nil, runAt: Int64? = nil, now: Int64, in db: SQLiteConnection
    ) throws -> Settlement {
        precondition(transition.from == .running, "settling starts from a running job")
        let target = transition.to
        let finishedAt: Int64? = target.isFinished ? now : nil
        let attemptRefund = transition == .giveBack ? 1 : 0
        let updated = try db.queryFirst(
            """
            UPDATE jobs SET state = ?1, lease_owner = NULL, lease_expires_at_ms = NULL, finished_at_ms = ?2,
                error_code = coalesce(?3, error_code), error_message = coalesce(?4, error_message),
                run_at_ms = coalesce(?5, run_at_ms), attempts = attempts - ?6,
                progress = CASE WHEN ?1 = 'succeeded' THEN 1.0 ELSE progress END,
                stage = CASE WHEN ?1 = 'succeeded' THEN 'done' ELSE stage END, updated_at_ms = ?7
            WHERE id = ?8 AND lease_owner = ?9 AND state = ?10
            RETURNING account_id, hold_id
            """,
            target.rawValue, finishedAt, errorCode, errorMessage, runAt, attemptRefund, now, jobID, owner,
            transition.from.rawValue
        ) { row in (row[0] as Int64, row[1] as String) }
        guard let (account, holdID) = updated else { return .leaseLost }

        let ledger = Ledger(db)
        let resolution: HoldResolution? =
            switch transition.holdResolution {
            case .keep: nil
            case .post: try ledger.post(holdID: holdID, at: now)
            case .void: try ledger.void(holdID: holdID, at: now)
            }
        if let resolution, !resolution.moved {
            // A running job always owns a pending hold; anything else is a broken ledger,
            // and rolling back is the only safe answer.
            assertionFailure("job \(jobID) was running with its hold \(resolution)")
            throw QueueError.brokenInvariant("job \(jobID) was running with its hold \(resolution)")
        }
        try Lanes(db: db).adjust(account: account, queuedDelta: target == .queued ? 1 : 0, runningDelta: -1)
        if let runAt { return .retryScheduled(runAtMilliseconds: runAt) }
        return target == .queued ? .retryScheduled(runAtMilliseconds: now) : .settled(target)
    }
}
