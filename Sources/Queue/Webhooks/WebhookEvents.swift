import Billing
import Database

/// The event of a job's end and its deliveries, written by `JobQueue.apply` in the
/// transaction that finishes the job: a worker killed right after that commit loses
/// nothing, since the deliveries are rows any worker claims (docs/ARCHITECTURE.md,
/// "Webhooks").
enum WebhookEvents {
    /// How long a delivery is retried before it ends as failed.
    static let retryWindowMilliseconds: Int64 = 3 * 86_400_000

    static func type(of state: JobState) -> String? {
        switch state {
        case .succeeded: "dub.succeeded"
        case .failed: "dub.failed"
        case .canceled: "dub.canceled"
        case .queued, .running: nil
        }
    }

    /// One event for the job and one delivery per live endpoint of its account; nothing
    /// for an account without endpoints. A job ends once, and `job_id` is unique, so a
    /// job never has two events.
    static func record(jobID: String, account: Int64, state: JobState, now: Int64, in db: any SQLConnection) throws {
        guard let type = type(of: state) else { return }
        let endpoints = try db.query(
            "SELECT id FROM webhook_endpoints WHERE account_id = ? AND deleted_at_ms IS NULL ORDER BY id", account
        ) { row in row["id"] as String }
        guard !endpoints.isEmpty else { return }
        let eventID = RandomIdentifier.make(prefix: "evt", nowMilliseconds: now)
        try db.execute(
            "INSERT INTO webhook_events (id, account_id, job_id, type, created_at_ms) VALUES (?, ?, ?, ?, ?)",
            eventID, account, jobID, type, now)
        for endpoint in endpoints {
            try db.execute(
                """
                INSERT INTO webhook_deliveries (id, event_id, endpoint_id, account_id, state, due_at_ms, give_up_at_ms, created_at_ms)
                VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
                """,
                RandomIdentifier.make(prefix: "whd", nowMilliseconds: now), eventID, endpoint, account, now,
                now + retryWindowMilliseconds, now)
        }
        try db.notify(channel: WebhookDeliveries.wakeupChannel)
    }
}
