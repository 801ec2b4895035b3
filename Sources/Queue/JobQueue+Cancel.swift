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
                try db.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated_at_ms = ? WHERE id = ? AND state = ?",
                    now, jobID, JobState.running.rawValue)
                return .cancelRequested
            case .succeeded, .failed, .canceled:
                return .alreadyFinished(job.state)
            }
        }
    }
}
