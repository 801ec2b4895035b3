import Billing
import Database

extension JobQueue {
    /// Leases the next job to `owner`: from the least-served account that has a job due
    /// and fewer than `maxRunningPerAccount` running, its highest-priority, oldest job.
    ///
    /// Each claim gets a token of its own (`ClaimedJob.claim`): only this attempt's
    /// heartbeats and settle match the job afterwards.
    ///
    /// - Returns: nil when nothing is due.
    public func claim(owner: String) async throws -> ClaimedJob? {
        try await claim(owner: owner, limit: 1).first
    }

    /// Leases up to `limit` jobs to `owner` in one transaction, as `limit` claims one
    /// after another would: each from the least-served account with room at that point,
    /// so a worker with several idle slots fills them with one commit.
    ///
    /// - Returns: the jobs claimed, fewer than `limit` (none) when fewer are due.
    public func claim(owner: String, limit: Int) async throws -> [ClaimedJob] {
        precondition(!owner.isEmpty, "a lease has an owner")
        precondition(limit > 0, "a claim takes at least one job")
        let now = clock.nowMilliseconds
        let configuration = configuration
        // On PostgreSQL one call of `auris_claim` is the whole transaction.
        if database.dialect == .postgresql {
            return try await database.writeOneStatement { db in
                try ClaimFunctions.claim(owner: owner, limit: limit, configuration: configuration, now: now, in: db)
            }
        }
        // Row locks, not serializable isolation: every idle worker of every host claims
        // from the same few lanes, and serializable transactions reading them all would
        // mostly fail each other (docs/ARCHITECTURE.md, "PostgreSQL's concurrency").
        return try await database.writeLockingRows { db in
            var claimed: [ClaimedJob] = []
            // The first lane is waited for, as one claim does; the others are skipped when
            // another transaction holds them, so no two claims wait on each other's lanes.
            while claimed.count < limit,
                let job = try Self.claimNext(
                    owner: owner, skippingLockedLanes: !claimed.isEmpty, configuration: configuration, now: now, in: db)
            {
                claimed.append(job)
            }
            return claimed
        }
    }

    /// Leases the due job a claim would take to `owner`, in the caller's transaction.
    ///
    /// - Parameter skippingLockedLanes: on PostgreSQL, pass over lanes another transaction
    ///   holds instead of waiting for them; for a transaction that already holds a lane or
    ///   a job, which must never wait on a lane (two such would wait on each other).
    static func claimNext(
        owner: String, skippingLockedLanes: Bool, configuration: Configuration, now: Int64, in db: any SQLConnection
    ) throws -> ClaimedJob? {
        precondition(db.dialect == .sqlite, "PostgreSQL claims in one call of auris_claim (ClaimFunctions)")
        let leaseExpiry = now + configuration.leaseMilliseconds
        let lanes = Lanes(db: db)
        guard
            let account = try lanes.nextAccount(
                nowMilliseconds: now, maxRunning: configuration.maxRunningPerAccount, skippingLocked: skippingLockedLanes)
        else { return nil }
        // The literal state lets SQLite use the partial index of queued jobs, and the
        // order is that index's own (ties in insertion order, the rowid it ends with): the
        // first due entry is the answer. Left to itself the planner took the index of due
        // times and sorted every queued job of the account for each claim.
        let next = try db.queryFirst(
            """
            SELECT id, account_id, payload, upload_id, attempts, max_attempts, credits, duration_ms, stage
            FROM jobs INDEXED BY jobs_lane_next
            WHERE account_id = ? AND state = 'queued' AND run_at_ms <= ?
            ORDER BY priority DESC, run_at_ms, rowid LIMIT 1
            """,
            account, now
        ) { row in
            let id: String = row["id"]
            return ClaimedJob(
                id: id, claim: JobClaim(jobID: id, owner: owner, token: RandomIdentifier.make(prefix: "claim", nowMilliseconds: now)),
                account: AccountID(rawValue: row["account_id"]), payload: row["payload"],
                uploadID: row["upload_id"], attempt: (row["attempts"] as Int) + 1, maxAttempts: row["max_attempts"],
                credits: row["credits"], durationMilliseconds: row["duration_ms"], stage: row["stage"],
                leaseExpiresAtMilliseconds: leaseExpiry)
        }
        guard let next else {
            // The lane promised a due job that is not there: a lane out of step with its
            // jobs. Recount it rather than let every claim stumble on it.
            assertionFailure("lane \(account) promised a due job that is not there")
            try lanes.rebuild(account: account)
            return nil
        }
        let lease = Lease(claim: next.claim, expiresAtMilliseconds: leaseExpiry)
        guard try apply(.claim, jobID: next.id, claimedBy: nil, newLease: lease, now: now, in: db) else {
            throw QueueError.brokenInvariant("job \(next.id) changed inside a transaction")
        }
        return next
    }

    /// Extends the lease of a job still held by `claim` and records progress; tells the
    /// worker whether a cancel was requested. `leaseLost` means: stop, and settle nothing.
    public func heartbeat(_ claim: JobClaim, stage: String? = nil, progress: Double? = nil) async throws
        -> HeartbeatOutcome
    {
        let now = clock.nowMilliseconds
        let leaseExpiry = now + configuration.leaseMilliseconds
        let clampedProgress = progress.map { min(1, max(0, $0)) }
        return try await database.writeLockingRows { db in
            let cancelRequested = try db.queryFirst(
                """
                UPDATE jobs SET lease_expires_at_ms = ?1, updated_at_ms = ?2,
                    stage = coalesce(?3, stage), progress = coalesce(?4, progress)
                WHERE id = ?5 AND claim_token = ?6 AND state = ?7
                RETURNING cancel_requested, watched_until_ms
                """,
                leaseExpiry, now, stage, clampedProgress, claim.jobID, claim.token, JobState.running.rawValue
            ) { row in (row["cancel_requested"] as Bool, row["watched_until_ms"] as Int64?) }
            guard let (cancelRequested, watchedUntil) = cancelRequested else { return .leaseLost }
            if stage != nil || progress != nil {
                try Self.notifyChange(watchedUntilMilliseconds: watchedUntil, now: now, in: db)
            }
            return .extended(untilMilliseconds: leaseExpiry, cancelRequested: cancelRequested)
        }
    }
}
