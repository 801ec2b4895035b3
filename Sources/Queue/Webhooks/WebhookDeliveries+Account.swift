public import Billing
import Database

/// What an account does with its deliveries: list the latest, send one again.
extension WebhookDeliveries {
    public enum ResendOutcome: Sendable, Equatable {
        case scheduled
        case notFound
        /// An attempt is under way; its outcome is still to come.
        case inProgress
        case endpointDeleted
    }

    /// A delivery as its account sees it.
    public struct Summary: Sendable, Equatable {
        public var id: String
        public var eventID: String
        public var type: String
        public var jobID: String
        public var endpointID: String
        public var url: String
        public var state: String
        public var attempts: Int
        public var nextAttemptAtMilliseconds: Int64?
        public var lastAttemptAtMilliseconds: Int64?
        public var lastStatus: Int?
        public var lastError: String?
        public var finishedAtMilliseconds: Int64?
        public var createdAtMilliseconds: Int64
    }

    /// Schedules a new attempt of one of the account's deliveries now, with the same
    /// event id and body, and a fresh retry window.
    public func resend(_ id: String, of account: AccountID) async throws -> ResendOutcome {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let found = try db.queryFirst(
                """
                SELECT d.state, e.deleted_at_ms FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.id = ? AND d.account_id = ?
                """,
                id, account.rawValue
            ) { row in (state: row["state"] as String, deleted: (row["deleted_at_ms"] as Int64?) != nil) }
            guard let found else { return .notFound }
            guard !found.deleted else { return .endpointDeleted }
            guard found.state != "delivering" else { return .inProgress }
            let updated = try db.queryFirst(
                """
                UPDATE webhook_deliveries SET state = 'pending', due_at_ms = ?, give_up_at_ms = ?, finished_at_ms = NULL
                WHERE id = ? AND state = ?
                RETURNING id
                """,
                now, now + WebhookEvents.retryWindowMilliseconds, id, found.state
            ) { row in row["id"] as String }
            guard updated != nil else { return .inProgress }
            try db.notify(channel: Self.wakeupChannel)
            return .scheduled
        }
    }

    /// The account's latest deliveries, newest first.
    public func recent(of account: AccountID, limit: Int = 50) async throws -> [Summary] {
        try await database.read { db in
            try db.query(
                """
                SELECT d.id, d.event_id, v.type, v.job_id, d.endpoint_id, e.url, d.state, d.attempts, d.due_at_ms,
                    d.last_attempt_at_ms, d.last_status, d.last_error, d.finished_at_ms, d.created_at_ms
                FROM webhook_deliveries d
                JOIN webhook_events v ON v.id = d.event_id
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.account_id = ? ORDER BY d.created_at_ms DESC, d.id DESC LIMIT ?
                """,
                account.rawValue, min(max(limit, 1), 200)
            ) { row in
                let state: String = row["state"]
                let status: Int64? = row["last_status"]
                return Summary(
                    id: row["id"], eventID: row["event_id"], type: row["type"], jobID: row["job_id"],
                    endpointID: row["endpoint_id"], url: row["url"], state: state, attempts: row["attempts"],
                    nextAttemptAtMilliseconds: state == "pending" ? row["due_at_ms"] : nil,
                    lastAttemptAtMilliseconds: row["last_attempt_at_ms"], lastStatus: status.map { Int($0) },
                    lastError: row["last_error"], finishedAtMilliseconds: row["finished_at_ms"],
                    createdAtMilliseconds: row["created_at_ms"])
            }
        }
    }

    /// How long finished deliveries stay listed before `removeFinished` deletes them.
    public static let keptMilliseconds: Int64 = 30 * 86_400_000

    /// Deletes deliveries finished more than `keptMilliseconds` ago, and the events left
    /// without deliveries, at most `limit` of each per call.
    /// - Returns: how many deliveries were deleted.
    @discardableResult
    public func removeFinished(limit: Int = 500) async throws -> Int {
        let before = clock.nowMilliseconds - Self.keptMilliseconds
        return try await database.write { db in
            let removed = try db.query(
                """
                DELETE FROM webhook_deliveries WHERE id IN (
                    SELECT id FROM webhook_deliveries WHERE state IN ('delivered', 'failed') AND finished_at_ms < ? LIMIT ?)
                RETURNING id
                """,
                before, limit
            ) { row in row["id"] as String }.count
            try db.execute(
                """
                DELETE FROM webhook_events WHERE id IN (
                    SELECT v.id FROM webhook_events v
                    WHERE v.created_at_ms < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.id)
                    LIMIT ?)
                """,
                before, limit)
            return removed
        }
    }
}
