import Billing
import Database

extension JobQueue {
    /// The job succeeded: its hold is posted (the credits are spent).
    public func succeed(_ claim: JobClaim) async throws -> Settlement {
        try await settle(claim, transition: .succeed)
    }

    /// The job succeeded, and the slot it freed takes the next due job (as
    /// `claim(owner:)` would) in the same transaction: one commit per job instead of two.
    ///
    /// - Returns: how the job was settled, and the next job, nil when none is due (or, on
    ///   PostgreSQL, when the lanes with due jobs are held by other claims just then).
    public func succeed(_ claim: JobClaim, claimingNextFor owner: String) async throws -> (Settlement, next: ClaimedJob?) {
        precondition(!owner.isEmpty, "a lease has an owner")
        let now = clock.nowMilliseconds
        let configuration = configuration
        // On PostgreSQL one call of `auris_succeed_claiming_next` is the whole transaction.
        if database.dialect == .postgresql {
            let (settled, next) = try await database.writeOneStatement { db in
                try ClaimFunctions.succeed(claim, claimingNextFor: owner, configuration: configuration, now: now, in: db)
            }
            return (settled ? .settled(.succeeded) : .leaseLost, next)
        }
        return try await database.writeLockingRows { db in
            let settlement = try Self.settle(.succeed, claim: claim, now: now, in: db)
            // This transaction holds the settled job's lane: it must not wait for another.
            let next = try Self.claimNext(owner: owner, skippingLockedLanes: true, configuration: configuration, now: now, in: db)
            return (settlement, next)
        }
    }

    /// The job cannot succeed (bad input, refused by the provider): its hold is voided.
    public func fail(_ claim: JobClaim, errorCode: String, errorMessage: String) async throws -> Settlement {
        try await settle(claim, transition: .fail, failure: JobFailure(code: errorCode, message: errorMessage))
    }

    /// The attempt failed for a reason that may pass: the job runs again after a backoff
    /// (at least `retryAfterMilliseconds`) while attempts remain, else it fails and its
    /// hold is voided.
    public func retry(
        _ claim: JobClaim, errorCode: String, errorMessage: String, retryAfterMilliseconds: Int64? = nil
    ) async throws -> Settlement {
        let policy = configuration.retry
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let attempts = try db.queryFirst(
                "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND claim_token = ? AND state = 'running'",
                claim.jobID, claim.token
            ) { row in (row["attempts"] as Int, row["max_attempts"] as Int) }
            guard let (attempt, maxAttempts) = attempts else { return .leaseLost }
            guard attempt < maxAttempts else {
                return try Self.settle(
                    .fail, claim: claim,
                    failure: JobFailure(code: errorCode, message: "\(errorMessage) (gave up after \(attempt) attempts)"),
                    now: now, in: db)
            }
            let runAt = now + policy.delayMilliseconds(afterAttempts: attempt, retryAfterMilliseconds: retryAfterMilliseconds)
            return try Self.settle(
                .retry, claim: claim, failure: JobFailure(code: errorCode, message: errorMessage),
                runAtMilliseconds: runAt, now: now, in: db)
        }
    }

    /// The worker stopped a job whose cancel was requested: canceled, hold voided.
    public func settleCanceled(_ claim: JobClaim) async throws -> Settlement {
        try await settle(claim, transition: .cancelRunning, failure: .canceledByClient)
    }

    /// Gives a job back to the queue unfinished (graceful shutdown): due now, and the
    /// attempt does not count.
    public func giveBack(_ claim: JobClaim) async throws -> Settlement {
        try await settle(claim, transition: .giveBack)
    }

    private func settle(_ claim: JobClaim, transition: JobTransition, failure: JobFailure? = nil) async throws -> Settlement {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            try Self.settle(transition, claim: claim, failure: failure, now: now, in: db)
        }
    }

    /// Moves a running job still held by `claim` through `transition`, in the caller's
    /// transaction, and says what happened.
    static func settle(
        _ transition: JobTransition, claim: JobClaim, failure: JobFailure? = nil,
        runAtMilliseconds: Int64? = nil, now: Int64, in db: any SQLConnection
    ) throws -> Settlement {
        precondition(transition.from == .running, "settling starts from a running job")
        guard try apply(
            transition, jobID: claim.jobID, claimedBy: claim, failure: failure, runAtMilliseconds: runAtMilliseconds,
            now: now, in: db)
        else { return .leaseLost }
        if let runAtMilliseconds { return .retryScheduled(runAtMilliseconds: runAtMilliseconds) }
        // Given back without a time of its own, the job keeps its place in the queue, due
        // already.
        return transition.to == .queued ? .retryScheduled(runAtMilliseconds: now) : .settled(transition.to)
    }
}
