public import Billing
import Database

extension JobQueue {
    /// A client's cancel. A queued job is canceled at once and its hold voided; a running
    /// one is marked, and its worker stops at its next check and voids the hold.
    ///
    /// Another account's job is `notFound`, as if it did not exist.
    public func cancel(jobID: String, account: AccountID) async throws -> CancelOutcome {
        let now = clock.nowMilliseconds
        return try await database.write { db in
            guard let job = try JobRow.find(jobID, in: db), job.account == account else { return .notFound }
            switch job.state {
            case .queued:
                let transition = JobTransition.cancelQueued
                let changed = try db.execute(
                    """
                    UPDATE jobs SET state = ?, finished_at_ms = ?, error_code = 'canceled',
                        error_message = 'canceled by the client', updated_at_ms = ?
                    WHERE id = ? AND state = ?
                    """,
                    transition.to.rawValue, now, now, jobID, transition.from.rawValue)
                guard changed == 1 else { throw QueueError.brokenInvariant("job \(jobID) changed inside a transaction") }
                let resolution = try Ledger(db).void(holdID: job.holdID, at: now)
                guard resolution == .voided else {
                    throw QueueError.brokenInvariant("queued job \(jobID) had its hold \(resolution)")
                }
                try Lanes(db: db).adjust(account: account.rawValue, queuedDelta: -1, runningDelta: 0)
                return .canceled
            case .running:
                try db.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated_at_ms = ? WHERE id = ? AND state = 'running'",
                    now, jobID)
                return .cancelRequested
            case .succeeded, .failed, .canceled:
                return .alreadyFinished(job.state)
            }
        }
    }
}
