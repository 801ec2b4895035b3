import Billing
import Database

extension JobQueue {
    /// Takes back jobs whose lease expired (their worker died or hung): queued again and
    /// due now, or failed with their hold voided when attempts are spent, or canceled
    /// when a cancel was requested.
    ///
    /// On PostgreSQL the jobs are taken `FOR UPDATE SKIP LOCKED`, as they are read: a job
    /// another transaction holds (another host's rescue, or the worker's own heartbeat or
    /// success, which may yet extend or end the lease) is left to it. Read without a lock,
    /// two hosts' rescues took the same job and the later one found it gone, and a job
    /// whose heartbeat was committing was taken back from a live worker.
    ///
    /// - Parameter limit: at most this many jobs in this call (one transaction).
    /// - Returns: how many jobs were taken back.
    @discardableResult
    public func rescueExpiredLeases(limit: Int = 100) async throws -> Int {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let expired = try db.query(
                """
                SELECT id, lease_owner, claim_token FROM jobs
                WHERE state = 'running' AND lease_expires_at_ms < ?
                ORDER BY lease_expires_at_ms LIMIT ?\(db.dialect.lockRowsSkippingLocked)
                """,
                now, min(max(limit, 1), 1_000), map: Self.heldClaim)
            for claim in expired {
                try Self.takeBack(claim, reason: "its worker's lease expired", now: now, in: db)
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
            let claims = try db.query(
                """
                SELECT id, lease_owner, claim_token FROM jobs WHERE state = 'running' AND lease_owner = ?
                LIMIT 1000\(db.dialect.lockRowsSkippingLocked)
                """,
                owner, map: Self.heldClaim)
            for claim in claims {
                try Self.takeBack(claim, reason: "its worker exited", now: now, in: db)
            }
            return claims.count
        }
    }

    /// The claim that holds a running job, read from its row.
    private static func heldClaim(_ row: Row) throws -> JobClaim {
        let jobID: String = row["id"]
        // Every claim since migration queue.3 writes a token, and the migration gave one
        // to the jobs running then; `QueueAudit` reports a running job without one.
        guard let token = row["claim_token"] as String? else {
            throw QueueError.brokenInvariant("running job \(jobID) has no claim token")
        }
        return JobClaim(jobID: jobID, owner: row["lease_owner"], token: token)
    }

    private static func takeBack(_ claim: JobClaim, reason: String, now: Int64, in db: any SQLConnection) throws {
        guard let job = try JobRow.find(claim.jobID, in: db) else { return }
        let outcome: Settlement
        if job.cancelRequested {
            outcome = try settle(.cancelRunning, claim: claim, failure: .canceledByClient, now: now, in: db)
        } else if job.attempts >= job.maxAttempts {
            let failure = JobFailure(
                code: JobErrorCodes.workerLost, message: "gave up after \(job.attempts) attempts: \(reason)")
            outcome = try settle(.rescueAndFail, claim: claim, failure: failure, now: now, in: db)
        } else {
            outcome = try settle(.rescue, claim: claim, runAtMilliseconds: now, now: now, in: db)
        }
        assert(outcome != .leaseLost, "the job was read as held by \(claim.owner) in this transaction")
    }
}
