import Billing
import Database

extension JobQueue {
    /// Takes back jobs whose lease expired (their worker died or hung): queued again and
    /// due now, or failed with their hold voided when attempts are spent, or canceled
    /// when a cancel was requested.
    ///
    /// - Parameter limit: at most this many jobs in this call (one transaction).
    /// - Returns: how many jobs were taken back.
    @discardableResult
    public func rescueExpiredLeases(limit: Int = 100) async throws -> Int {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let expired = try db.query(
                """
                SELECT id, lease_owner FROM jobs
                WHERE state = 'running' AND lease_expires_at_ms < ?
                ORDER BY lease_expires_at_ms LIMIT ?
                """,
                now, min(max(limit, 1), 1_000)
            ) { row in (row["id"] as String, row["lease_owner"] as String) }
            for (jobID, owner) in expired {
                try Self.takeBack(jobID: jobID, owner: owner, reason: "its worker's lease expired", now: now, in: db)
            }
            return expired.count
        }
    }

    /// Takes back at once every job leased to `owner`, a worker known to be dead (its
    /// supervisor saw it exit), instead of waiting for the leases to expire.
    @discardableResult
    public func releaseLeases(owner: String) async throws -> Int {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let jobs = try db.query(
                "SELECT id FROM jobs WHERE state = 'running' AND lease_owner = ? LIMIT 1000", owner
            ) { row in row["id"] as String }
            for jobID in jobs {
                try Self.takeBack(jobID: jobID, owner: owner, reason: "its worker exited", now: now, in: db)
            }
            return jobs.count
        }
    }

    private static func takeBack(jobID: String, owner: String, reason: String, now: Int64, in db: any SQLConnection) throws {
        guard let job = try JobRow.find(jobID, in: db) else { return }
        let outcome: Settlement
        if job.cancelRequested {
            outcome = try settle(.cancelRunning, jobID: jobID, owner: owner, failure: .canceledByClient, now: now, in: db)
        } else if job.attempts >= job.maxAttempts {
            let failure = JobFailure(
                code: JobErrorCodes.workerLost, message: "gave up after \(job.attempts) attempts: \(reason)")
            outcome = try settle(.rescueAndFail, jobID: jobID, owner: owner, failure: failure, now: now, in: db)
        } else {
            outcome = try settle(.rescue, jobID: jobID, owner: owner, runAtMilliseconds: now, now: now, in: db)
        }
        assert(outcome != .leaseLost, "the job was read as leased to \(owner) in this transaction")
    }
}
