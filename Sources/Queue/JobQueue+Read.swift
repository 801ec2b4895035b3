public import Billing
import Database

extension JobQueue {
    /// The job, if it belongs to `account`; another account's job is nil.
    public func job(id: String, account: AccountID) async throws -> Job? {
        try await database.read { db in
            guard let job = try JobRow.find(id, in: db), job.account == account else { return nil }
            return job
        }
    }

    /// Any job, for workers and operators.
    public func job(id: String) async throws -> Job? {
        try await database.read { db in try JobRow.find(id, in: db) }
    }

    /// An account's jobs, newest first, `limit` at a time (at most 100) after the cursor.
    ///
    /// - Parameter before: the last job of the previous page; nil for the first page.
    public func jobs(of account: AccountID, limit: Int, before: JobCursor?) async throws -> [Job] {
        let rowLimit = min(max(limit, 1), 100)
        return try await database.read { db in
            try db.query(
                """
                SELECT \(JobRow.columns) FROM jobs
                WHERE account_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR created_at_ms < ?2 OR (created_at_ms = ?2 AND id < ?3))
                ORDER BY created_at_ms DESC, id DESC LIMIT ?4
                """,
                account.rawValue, before?.createdAtMilliseconds, before?.id, rowLimit, map: JobRow.decode)
        }
    }

    /// Jobs in any account, newest first, optionally in one state (at most 1,000).
    public func jobs(state: JobState?, limit: Int) async throws -> [Job] {
        let rowLimit = min(max(limit, 1), 1_000)
        return try await database.read { db in
            try db.query(
                """
                SELECT \(JobRow.columns) FROM jobs WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1
                ORDER BY created_at_ms DESC, id DESC LIMIT ?2
                """,
                state?.rawValue, rowLimit, map: JobRow.decode)
        }
    }

    /// How many jobs are in each state.
    public func countsByState() async throws -> [JobState: Int] {
        try await database.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for (name, count) in try db.query("SELECT state, count(*) AS jobs FROM jobs GROUP BY state", map: { row in
                (row["state"] as String, row["jobs"] as Int)
            }) {
                if let state = JobState(rawValue: name) { counts[state] = count }
            }
            return counts
        }
    }
}

/// Where a page of jobs ends: the next page starts after this job.
public struct JobCursor: Sendable, Equatable {
    public var createdAtMilliseconds: Int64
    public var id: String

    public init(createdAtMilliseconds: Int64, id: String) {
        self.createdAtMilliseconds = createdAtMilliseconds
        self.id = id
    }
}

extension JobQueue {
    /// Whether a queued or running job reads the upload `uploadID`, so a sweeper never
    /// removes an upload a job still needs.
    public func hasUnfinishedJob(uploadID: String) async throws -> Bool {
        try await database.read { db in
            try db.queryFirst(Self.unfinishedJobOfUploadSQL, uploadID) { _ in true } ?? false
        }
    }

    /// Answered from the partial index `jobs_upload`: its `WHERE` is repeated word for
    /// word, which is what lets SQLite use it.
    static let unfinishedJobOfUploadSQL =
        "SELECT 1 FROM jobs WHERE upload_id = ? AND state IN ('queued', 'running') LIMIT 1"

    /// Whether `account` already has a job under `idempotencyKey`: its retry is answered
    /// with that job, whatever the account's balance is now.
    public func hasJob(of account: AccountID, idempotencyKey: String) async throws -> Bool {
        try await database.read { db in
            try db.queryFirst(
                "SELECT 1 AS found FROM jobs WHERE account_id = ? AND idempotency_key = ?", account.rawValue, idempotencyKey
            ) { _ in true } ?? false
        }
    }
}
