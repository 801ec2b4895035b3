public import Billing
import Database

/// The rows by which media is removed from the store (docs/ARCHITECTURE.md, "Media
/// store"): an upload's row from before its first put until after its last delete, and
/// each finished job's `result_expired` once its result is gone.
extension JobQueue {
    /// Records an upload about to be put in the media store, before the first put, so that
    /// a server dying between the put and the enqueue leaves a row the sweeper finds.
    public func recordUpload(id: String, account: AccountID) async throws {
        let now = clock.nowMilliseconds
        _ = try await database.write { db in
            try db.execute("INSERT INTO uploads (id, account_id, created_at_ms) VALUES (?, ?, ?)", id, account.rawValue, now)
        }
    }

    /// Forgets an upload whose objects are all deleted.
    public func forgetUpload(id: String) async throws {
        _ = try await database.write { db in
            try db.execute("DELETE FROM uploads WHERE id = ?", id)
        }
    }

    /// Uploads recorded before `createdBeforeMilliseconds` that no queued or running job
    /// reads: never queued (their server died, or the enqueue refused them), or left by a
    /// worker that could not delete them after the job ended. Oldest first.
    public func abandonedUploads(createdBeforeMilliseconds: Int64, limit: Int) async throws -> [String] {
        try await database.read { db in
            try db.query(
                """
                SELECT id FROM uploads WHERE created_at_ms < ?
                    AND NOT EXISTS (SELECT 1 FROM jobs WHERE upload_id = uploads.id AND state IN ('queued', 'running'))
                ORDER BY created_at_ms LIMIT ?
                """,
                createdBeforeMilliseconds, limit
            ) { row in row["id"] as String }
        }
    }

    /// Finished jobs, finished before `finishedBeforeMilliseconds`, whose result (if they
    /// have one) is still in the store, with their payloads (which name the result's
    /// type, hence its key). Oldest first.
    public func jobsWithResultsDue(finishedBeforeMilliseconds: Int64, limit: Int) async throws -> [JobResultDue] {
        try await database.read { db in
            try db.query(
                """
                SELECT id, payload FROM jobs WHERE result_expired = 0 AND finished_at_ms IS NOT NULL AND finished_at_ms < ?
                ORDER BY finished_at_ms LIMIT ?
                """,
                finishedBeforeMilliseconds, limit
            ) { row in JobResultDue(jobID: row["id"], payload: row["payload"]) }
        }
    }

    /// Marks the jobs whose results the sweeper has deleted, in one transaction.
    public func markResultsExpired(jobIDs: [String]) async throws {
        guard !jobIDs.isEmpty else { return }
        try await database.write { db in
            for id in jobIDs {
                try db.execute("UPDATE jobs SET result_expired = 1 WHERE id = ? AND result_expired = 0 AND finished_at_ms IS NOT NULL", id)
            }
        }
    }
}

/// A finished job whose result is due for removal.
public struct JobResultDue: Sendable, Equatable {
    public var jobID: String
    /// The job's payload as enqueued: the worker reads its result's type from it.
    public var payload: String
}
