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
        // On PostgreSQL one call of `auris_enqueue_job` is the whole transaction: one round trip.
        if database.dialect == .postgresql {
            return try await database.writeOneStatement { db in
                try Self.enqueueCallingFunction(request, id: id, now: now, configuration: configuration, in: db)
            }
        }
        // Row locks, not serializable isolation: enqueues of one account take turns on its
        // ledger row instead of failing each other and running again (docs/ARCHITECTURE.md,
        // "PostgreSQL's concurrency").
        return try await database.writeLockingRows { db in
            let ledger = Ledger(db)
            // Locked before anything is checked, as `auris_enqueue_job` does on PostgreSQL: an
            // enqueue of the same account waits until this one commits, then reads its key,
            // job and hold (on SQLite, its one writer at a time already does this).
            let account = try ledger.lock(request.account)
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
            let holdID = "hold:" + id
            let balance = try ledger.hold(id: holdID, on: account, amount: request.credits, reference: id, at: now)
            let job = try db.queryFirst(
                """
                INSERT INTO jobs (id, account_id, state, priority, run_at_ms, max_attempts, hold_id, credits,
                    duration_ms, payload, upload_id, idempotency_key, request_fingerprint, created_at_ms, updated_at_ms)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING \(JobRow.columns)
                """,
                id, request.account.rawValue, request.priority, now, configuration.maxAttempts, holdID,
                request.credits, request.durationMilliseconds, request.payload, request.uploadID, request.idempotencyKey,
                request.requestFingerprint, now, now, map: JobRow.decode)
            guard let job else { preconditionFailure("INSERT … RETURNING gave no row") }
            try Lanes(db: db).queued(account: request.account.rawValue, runAtMilliseconds: now)
            try db.notify(channel: JobQueue.wakeupChannel)
            return .created(job, availableCredits: balance.available)
        }
    }

    /// The same rules in one call of `auris_enqueue_job` (`EnqueueFunction`), for PostgreSQL.
    private static func enqueueCallingFunction(
        _ request: EnqueueRequest, id: String, now: Int64, configuration: Configuration, in db: any SQLConnection
    ) throws -> EnqueueOutcome {
        let answer = try EnqueueFunction.call(
            request, id: id, holdID: "hold:" + id, now: now, configuration: configuration, in: db)
        switch answer.outcome {
        case "created":
            guard let job = answer.job, let available = answer.credits else {
                preconditionFailure("auris_enqueue_job created no job")
            }
            return .created(job, availableCredits: available)
        case "replayed":
            guard let earlier = answer.job else { preconditionFailure("auris_enqueue_job replayed no job") }
            guard answer.fingerprint == request.requestFingerprint else {
                throw QueueError.idempotencyConflict(existingJobID: earlier.id)
            }
            return .replayed(earlier)
        case "unknown_account": throw LedgerError.unknownAccount(request.account)
        case "too_many_jobs": throw QueueError.tooManyJobs(limit: configuration.maxQueuedPerAccount)
        case "in_debt": throw LedgerError.accountInDebt(credits: answer.credits ?? 0)
        case "insufficient_credits":
            throw LedgerError.insufficientCredits(required: request.credits, available: answer.credits ?? 0)
        default: preconditionFailure("auris_enqueue_job answered \(answer.outcome)")
        }
    }
}
