import Billing
import Database

extension JobQueue {
    /// Holds the job's credits and queues it, in one transaction.
    ///
    /// - Throws: `LedgerError.insufficientCredits` when the account cannot pay;
    ///   `QueueError.tooManyJobs` past the per-account limit;
    ///   `QueueError.idempotencyConflict` for a reused key with another request.
    public func enqueue(_ request: EnqueueRequest) async throws -> EnqueueOutcome {
        precondition(request.credits > 0 && request.durationMilliseconds > 0, "a job costs credits and has a length")
        let now = clock.nowMilliseconds
        let id = RandomIdentifier.make(prefix: "dub", nowMilliseconds: now)
        let configuration = configuration
        return try await database.write { db in
            if let key = request.idempotencyKey,
                let earlier = try db.queryFirst(
                    "SELECT \(JobRow.columns), request_fingerprint FROM jobs WHERE account_id = ? AND idempotency_key = ?",
                    request.account.rawValue, key, map: { row in (JobRow.decode(row), row["request_fingerprint"] as String?) })
            {
                guard earlier.1 == request.requestFingerprint else {
                    throw QueueError.idempotencyConflict(existingJobID: earlier.0.id)
                }
                return .replayed(earlier.0)
            }
            let waiting = try db.queryFirst(
                "SELECT queued FROM queue_lanes WHERE account_id = ?", request.account.rawValue
            ) { row in row["queued"] as Int } ?? 0
            guard waiting < configuration.maxQueuedPerAccount else {
                throw QueueError.tooManyJobs(limit: configuration.maxQueuedPerAccount)
            }
            let ledger = Ledger(db)
            let holdID = "hold:" + id
            try ledger.hold(id: holdID, account: request.account, amount: request.credits, reference: id, at: now)
            try db.execute(
                """
                INSERT INTO jobs (id, account_id, state, priority, run_at_ms, max_attempts, hold_id, credits,
                    duration_ms, payload, upload_id, idempotency_key, request_fingerprint, created_at_ms, updated_at_ms)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                id, request.account.rawValue, request.priority, now, configuration.maxAttempts, holdID,
                request.credits, request.durationMilliseconds, request.payload, request.uploadID, request.idempotencyKey,
                request.requestFingerprint, now, now)
            try Lanes(db: db).queued(account: request.account.rawValue, runAtMilliseconds: now)
            try db.notify(channel: JobQueue.wakeupChannel)
            guard let job = try JobRow.find(id, in: db) else { preconditionFailure("the job just inserted") }
            return .created(job, availableCredits: try ledger.balance(of: request.account).available)
        }
    }
}
