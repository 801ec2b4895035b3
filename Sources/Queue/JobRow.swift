import Billing
import Database

/// The columns of a `Job`, in the order `JobRow.decode` reads them.
enum JobRow {
    static let columns = """
        id, account_id, state, cancel_requested, priority, run_at_ms, attempts, max_attempts, lease_owner,
        lease_expires_at_ms, hold_id, credits, duration_ms, payload, stage, progress, error_code, error_message,
        created_at_ms, started_at_ms, finished_at_ms
        """

    static func decode(_ row: Row) -> Job {
        let stateName: String = row[2]
        guard let state = JobState(rawValue: stateName) else {
            preconditionFailure("the schema allows no job state \(stateName)")
        }
        return Job(
            id: row[0], account: AccountID(rawValue: row[1]), state: state, cancelRequested: row[3],
            priority: row[4], runAtMilliseconds: row[5], attempts: row[6], maxAttempts: row[7],
            leaseOwner: row[8], leaseExpiresAtMilliseconds: row[9], holdID: row[10], credits: row[11],
            durationMilliseconds: row[12], payload: row[13], stage: row[14], progress: row[15],
            errorCode: row[16], errorMessage: row[17], createdAtMilliseconds: row[18],
            startedAtMilliseconds: row[19], finishedAtMilliseconds: row[20])
    }

    static func find(_ id: String, in db: SQLiteConnection) throws -> Job? {
        try db.queryFirst("SELECT \(columns) FROM jobs WHERE id = ?", id, map: decode)
    }
}
