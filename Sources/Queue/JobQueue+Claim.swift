import Billing
import Database

extension JobQueue {
    /// Leases the next job to `owner`: from the least-served account that has a job due
    /// and fewer than `maxRunningPerAccount` running, its highest-priority, oldest job.
    ///
    /// - Returns: nil when nothing is due.
    public func claim(owner: String) async throws -> ClaimedJob? {
        precondition(!owner.isEmpty, "a lease has an owner")
        let now = clock.nowMilliseconds
        let leaseExpiry = now + configuration.leaseMilliseconds
        let maxRunning = configuration.maxRunningPerAccount
        return try await database.write { db in
            let lanes = Lanes(db: db)
            guard let account = try lanes.nextAccount(nowMilliseconds: now, maxRunning: maxRunning) else { return nil }
            let transition = JobTransition.claim
            let claimed = try db.queryFirst(
                """
                UPDATE jobs SET state = ?1, lease_owner = ?2, lease_expires_at_ms = ?3, attempts = attempts + 1,
                    started_at_ms = coalesce(started_at_ms, ?4), updated_at_ms = ?4
                WHERE id = (
                    SELECT id FROM jobs WHERE account_id = ?5 AND state = 'queued' AND run_at_ms <= ?4
                    ORDER BY priority DESC, run_at_ms, id LIMIT 1)
                  AND state = ?6
                RETURNING id, account_id, payload, attempts, max_attempts, credits, duration_ms, stage
                """,
                transition.to.rawValue, owner, leaseExpiry, now, account, transition.from.rawValue
            ) { row in
                ClaimedJob(
                    id: row[0], account: AccountID(rawValue: row[1]), payload: row[2], attempt: row[3],
                    maxAttempts: row[4], credits: row[5], durationMilliseconds: row[6], stage: row[7],
                    leaseExpiresAtMilliseconds: leaseExpiry)
            }
            guard let claimed else {
                // The lane promised a due job that is not there: a lane out of step with
                // its jobs. Recount it rather than let every claim stumble on it.
                assertionFailure("lane \(account) promised a due job that is not there")
                try lanes.rebuild(account: account)
                return nil
            }
            try lanes.adjust(account: account, queuedDelta: -1, runningDelta: 1, servedAtMilliseconds: now)
            return claimed
        }
    }

    /// Extends `owner`'s lease and records progress; tells the worker whether a cancel
    /// was requested. `leaseLost` means: stop, and settle nothing.
    public func heartbeat(jobID: String, owner: String, stage: String? = nil, progress: Double? = nil) async throws
        -> HeartbeatOutcome
    {
        let now = clock.nowMilliseconds
        let leaseExpiry = now + configuration.leaseMilliseconds
        let clampedProgress = progress.map { min(1, max(0, $0)) }
        return try await database.write { db in
            let cancelRequested = try db.queryFirst(
                """
                UPDATE jobs SET lease_expires_at_ms = ?1, updated_at_ms = ?2,
                    stage = coalesce(?3, stage), progress = coalesce(?4, progress)
                WHERE id = ?5 AND lease_owner = ?6 AND state = 'running'
                RETURNING cancel_requested
                """,
                leaseExpiry, now, stage, clampedProgress, jobID, owner
            ) { row in row[0] as Bool }
            guard let cancelRequested else { return .leaseLost }
            return .extended(untilMilliseconds: leaseExpiry, cancelRequested: cancelRequested)
        }
    }
}
