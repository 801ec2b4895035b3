import Database

/// Keeps `queue_lanes` in step with the jobs, inside the caller's transaction.
struct Lanes {
    let db: any SQLConnection

    /// A job joined the account's queue, due at `runAtMilliseconds`.
    func queued(account: Int64, runAtMilliseconds: Int64) throws {
        try db.execute(
            """
            INSERT INTO queue_lanes (account_id, queued, next_run_at_ms) VALUES (?1, 1, ?2)
            ON CONFLICT (account_id) DO UPDATE SET
                queued = queue_lanes.queued + 1,
                next_run_at_ms = CASE WHEN queue_lanes.next_run_at_ms IS NULL OR queue_lanes.next_run_at_ms > ?2 THEN ?2 ELSE queue_lanes.next_run_at_ms END
            """,
            account, runAtMilliseconds)
    }

    /// Applies count changes and recomputes the account's earliest due time.
    ///
    /// On PostgreSQL the lane is locked first, by a statement of its own: the `UPDATE`
    /// below then starts after any enqueue that held the lane has committed, and its
    /// READ COMMITTED snapshot (`writeLockingRows`) sees that enqueue's job.
    func adjust(account: Int64, queuedDelta: Int, runningDelta: Int, servedAtMilliseconds: Int64? = nil) throws {
        if db.dialect == .postgresql {
            _ = try db.queryFirst("SELECT account_id FROM queue_lanes WHERE account_id = ? FOR UPDATE", account) { _ in () }
        }
        let changed = try db.execute(
            """
            UPDATE queue_lanes SET
                queued = queued + ?2,
                running = running + ?3,
                served_at_ms = coalesce(?4, served_at_ms),
                next_run_at_ms = (SELECT min(run_at_ms) FROM jobs WHERE account_id = ?1 AND state = 'queued')
            WHERE account_id = ?1
            """,
            account, queuedDelta, runningDelta, servedAtMilliseconds)
        assert(changed == 1, "every account with jobs has a lane")
    }

    /// The account served least that has a job due now and room to run it; on PostgreSQL
    /// its lane stays locked to this claim until it commits (`writeLockingRows`), so claims
    /// of one account take turns and its running count stays exact. `skippingLocked` passes
    /// over lanes other transactions hold instead of waiting for them.
    func nextAccount(nowMilliseconds: Int64, maxRunning: Int, skippingLocked: Bool = false) throws -> Int64? {
        try db.queryFirst(
            """
            SELECT account_id FROM queue_lanes
            WHERE queued > 0 AND next_run_at_ms <= ? AND running < ?
            ORDER BY running, served_at_ms, account_id
            LIMIT 1\(skippingLocked ? db.dialect.lockRowsSkippingLocked : db.dialect.lockRows)
            """,
            nowMilliseconds, maxRunning
        ) { row in row["account_id"] as Int64 }
    }

    /// Recounts an account's lane from its jobs: the repair for a lane found wrong.
    func rebuild(account: Int64) throws {
        try db.execute(
            """
            UPDATE queue_lanes SET
                queued = (SELECT count(*) FROM jobs WHERE account_id = ?1 AND state = 'queued'),
                running = (SELECT count(*) FROM jobs WHERE account_id = ?1 AND state = 'running'),
                next_run_at_ms = (SELECT min(run_at_ms) FROM jobs WHERE account_id = ?1 AND state = 'queued')
            WHERE account_id = ?1
            """,
            account)
    }
}
