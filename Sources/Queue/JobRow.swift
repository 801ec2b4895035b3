import Billing
import Database

/// The columns of a `Job`, which `JobRow.decode` reads by name.
enum JobRow {
    static let columns = """
        id, account_id, state, cancel_requested, priority, run_at_ms, attempts, max_attempts, lease_owner,
        lease_expires_at_ms, hold_id, credits, duration_ms, payload, stage, progress, error_code, error_message,
        created_at_ms, started_at_ms, finished_at_ms
        """

    static func decode(_ row: Row) -> Job {
        let stateName: String = row["state"]
        guard let state = JobState(rawValue: stateName) else {
            preconditionFailure("the schema allows no job state \(stateName)")
        }
        return Job(
            id: row["id"], account: AccountID(rawValue: row["account_id"]), state: state,
            cancelRequested: row["cancel_requested"], priority: row["priority"], runAtMilliseconds: row["run_at_ms"],
            attempts: row["attempts"], maxAttempts: row["max_attempts"], leaseOwner: row["lease_owner"],
            leaseExpiresAtMilliseconds: row["lease_expires_at_ms"], holdID: row["hold_id"], credits: row["credits"],
            durationMilliseconds: row["duration_ms"], payload: row["payload"], stage: row["stage"],
            progress: row["progress"], errorCode: row["error_code"], errorMessage: row["error_message"],
            createdAtMilliseconds: row["created_at_ms"], startedAtMilliseconds: row["started_at_ms"],
            finishedAtMilliseconds: row["finished_at_ms"])
    }

    static func find(_ id: String, in db: any SQLConnection) throws -> Job? {
        try db.queryFirst("SELECT \(columns) FROM jobs WHERE id = ?", id, map: decode)
    }
}
