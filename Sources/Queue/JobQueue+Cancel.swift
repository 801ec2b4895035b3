public import Billing
import Database

extension JobQueue {
    /// A client's cancel. A queued job is canceled at once and its hold voided; a running
    /// one is marked, and its worker stops at its next check and voids the hold.
    ///
    /// Another account's job is `notFound`, as if it did not exist.
    public func cancel(jobID: String, account: AccountID) async throws -> CancelOutcome {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            guard let job = try JobRow.find(jobID, in: db), job.account == account else { return .notFound }
            switch job.state {
            case .queued:
                guard try Self.apply(
                    .cancelQueued, jobID: jobID, claimedBy: nil, failure: .canceledByClient, now: now, in: db)
                else { throw QueueError.brokenInvariant("job \(jobID) changed inside a transaction") }
                return .canceled
            case .running:
                let watchedUntil = try db.queryFirst(
                    "UPDATE jobs SET cancel_requested = 1, updated_at_ms = ? WHERE id = ? AND state = ? RETURNING watched_until_ms",
                    now, jobID, JobState.running.rawValue
                ) { row in row["watched_until_ms"] as Int64? }
                try Self.notifyChange(watchedUntilMilliseconds: watchedUntil ?? nil, now: now, in: db)
                return .cancelRequested
            case .succeeded, .failed, .canceled:
                return .alreadyFinished(job.state)
            }
        }
    }

    /// Marks the job as watched by a client's event stream for the next `milliseconds`:
    /// its changes until then notify `changeChannel`. Another account's job is not marked.
    ///
    /// - Returns: false when the job is not the account's.
    public func watch(jobID: String, account: AccountID, forMilliseconds milliseconds: Int64) async throws -> Bool {
        let untilMilliseconds = clock.nowMilliseconds + milliseconds
        return try await database.writeLockingRows { db in
            guard try db.queryFirst("SELECT id FROM jobs WHERE id = ? AND account_id = ?", jobID, account.rawValue, map: { _ in true })
                != nil
            else { return false }
            // Not a change of state, so no state in `WHERE`: a job that has just finished
            // is marked for nothing, and the stream reads it next anyway.
            try db.execute(
                "UPDATE jobs SET watched_until_ms = ?1 WHERE id = ?2 AND (watched_until_ms IS NULL OR watched_until_ms < ?1)",
                untilMilliseconds, jobID)
            return true
        }
    }
}
