import Billing
public import Database

/// Deliveries of webhook events: claimed by any worker under a lease, finished by the
/// claim that holds them, retried with capped exponential backoff and jitter until the
/// retry window closes (docs/ARCHITECTURE.md, "Webhooks").
public struct WebhookDeliveries: Sendable {
    public struct Configuration: Sendable {
        /// How long a claim keeps a delivery; past it another worker takes it again.
        /// Longer than an attempt's whole timeout.
        public var leaseMilliseconds: Int64 = 60_000
        /// The wait after the first failed attempt; each later one doubles it.
        public var firstRetryMilliseconds: Int64 = 30_000
        /// The longest wait between two attempts.
        public var maxRetryMilliseconds: Int64 = 6 * 3_600_000
        /// Attempts one endpoint may have under way at once (per claim batch, and counted
        /// against the claims other workers hold).
        public var maxInFlightPerEndpoint = 2

        public init() {}
    }

    /// What the renderer is given to write an event's body, once per event.
    public struct EventSource: Sendable {
        public var eventID: String
        public var type: String
        public var createdAtMilliseconds: Int64
        public var job: Job
    }

    /// A delivery this worker holds until it finishes it or its lease runs out.
    public struct Claimed: Sendable, Equatable {
        public var id: String
        public var eventID: String
        public var endpointID: String
        public var url: String
        /// The endpoint's current secret first, then the rotated-out one while it still signs.
        public var secrets: [String]
        /// The event as rendered once; every attempt sends these bytes.
        public var body: String
        /// This attempt's number, from 1.
        public var attempt: Int
        let token: String
    }

    public enum Outcome: Sendable, Equatable {
        /// The endpoint answered 2xx.
        case delivered(status: Int)
        /// Anything else: another status (3xx included), a refused address, a timeout.
        case failed(status: Int?, error: String)
    }

    /// PostgreSQL's `NOTIFY` channel of a job end with deliveries: delivery loops on every
    /// host listen to it.
    public static let wakeupChannel = "auris_webhooks"

    let database: any SQLDatabase
    let clock: any WallClock
    public let configuration: Configuration

    public init(database: any SQLDatabase, clock: any WallClock = SystemWallClock(), configuration: Configuration = Configuration()) {
        precondition(configuration.leaseMilliseconds > 0 && configuration.firstRetryMilliseconds > 0, "webhook timings")
        precondition(configuration.maxRetryMilliseconds >= configuration.firstRetryMilliseconds, "webhook backoff cap")
        self.database = database
        self.clock = clock
        self.configuration = configuration
    }

    /// Claims up to `limit` due deliveries (pending and due, or delivering with an
    /// expired lease), skipping rows another worker has locked (`FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL) and endpoints that already have `maxInFlightPerEndpoint`
    /// attempts under way. An event's body is rendered by `render` the first time one of
    /// its deliveries is claimed, and stored.
    public func claim(limit: Int, render: @escaping @Sendable (EventSource) -> String) async throws -> [Claimed] {
        precondition(limit > 0, "a claim takes at least one delivery")
        let now = clock.nowMilliseconds
        let leaseExpiry = now + configuration.leaseMilliseconds
        let maxPerEndpoint = configuration.maxInFlightPerEndpoint
        return try await database.writeLockingRows { db in
            let due = try db.query(
                """
                SELECT id, state, event_id, endpoint_id FROM webhook_deliveries
                WHERE state IN ('pending', 'delivering') AND due_at_ms <= ?
                ORDER BY due_at_ms, id LIMIT ?\(db.dialect.lockRowsSkippingLocked)
                """,
                now, limit * 4
            ) { row in (id: row["id"] as String, state: row["state"] as String, event: row["event_id"] as String,
                        endpoint: row["endpoint_id"] as String) }
            var inFlight: [String: Int] = [:]
            var claimed: [Claimed] = []
            for candidate in due where claimed.count < limit {
                if inFlight[candidate.endpoint] == nil {
                    inFlight[candidate.endpoint] = try db.queryFirst(
                        """
                        SELECT count(*) AS busy FROM webhook_deliveries
                        WHERE endpoint_id = ? AND state = 'delivering' AND due_at_ms > ?
                        """,
                        candidate.endpoint, now
                    ) { row in Int(row["busy"] as Int64) } ?? 0
                }
                guard inFlight[candidate.endpoint, default: 0] < maxPerEndpoint else { continue }
                guard let endpoint = try Self.endpoint(candidate.endpoint, now: now, in: db) else {
                    // Deleted while this attempt's lease ran: nobody is there to deliver to.
                    try db.execute(
                        """
                        UPDATE webhook_deliveries SET state = 'failed', due_at_ms = NULL, claim_token = NULL,
                            finished_at_ms = ?, last_error = 'endpoint deleted'
                        WHERE id = ? AND state = ?
                        """,
                        now, candidate.id, candidate.state)
                    continue
                }
                let token = RandomIdentifier.make(prefix: "wclaim", nowMilliseconds: now)
                let attempt = try db.queryFirst(
                    """
                    UPDATE webhook_deliveries SET state = 'delivering', claim_token = ?, due_at_ms = ?,
                        attempts = attempts + 1, last_attempt_at_ms = ?
                    WHERE id = ? AND state = ? AND due_at_ms <= ?
                    RETURNING attempts
                    """,
                    token, leaseExpiry, now, candidate.id, candidate.state, now
                ) { row in row["attempts"] as Int }
                guard let attempt else { continue }
                let body = try Self.body(of: candidate.event, render: render, in: db)
                inFlight[candidate.endpoint, default: 0] += 1
                claimed.append(Claimed(
                    id: candidate.id, eventID: candidate.event, endpointID: candidate.endpoint, url: endpoint.url,
                    secrets: endpoint.secrets, body: body, attempt: attempt, token: token))
            }
            return claimed
        }
    }

    /// Records the attempt of a delivery this claim still holds: delivered, or failed and
    /// due again after the backoff, or failed for good past the retry window.
    /// - Returns: false when the claim no longer holds the delivery (its lease ran out
    ///   and another worker took it): nothing changed.
    @discardableResult
    public func finish(_ claim: Claimed, _ outcome: Outcome) async throws -> Bool {
        let now = clock.nowMilliseconds
        switch outcome {
        case .delivered(let status):
            return try await database.writeLockingRows { db in
                try db.queryFirst(
                    """
                    UPDATE webhook_deliveries SET state = 'delivered', due_at_ms = NULL, claim_token = NULL,
                        finished_at_ms = ?, last_status = ?, last_error = NULL
                    WHERE id = ? AND state = 'delivering' AND claim_token = ?
                    RETURNING id
                    """,
                    now, status, claim.id, claim.token
                ) { row in row["id"] as String } != nil
            }
        case .failed(let status, let error):
            let next = now + retryDelayMilliseconds(afterAttempt: claim.attempt)
            return try await database.writeLockingRows { db in
                try db.queryFirst(
                    """
                    UPDATE webhook_deliveries SET
                        state = CASE WHEN ?1 > give_up_at_ms THEN 'failed' ELSE 'pending' END,
                        due_at_ms = CASE WHEN ?1 > give_up_at_ms THEN NULL ELSE ?1 END,
                        finished_at_ms = CASE WHEN ?1 > give_up_at_ms THEN ?2 ELSE NULL END,
                        claim_token = NULL, last_status = ?3, last_error = ?4
                    WHERE id = ?5 AND state = 'delivering' AND claim_token = ?6
                    RETURNING id
                    """,
                    next, now, status, String(error.prefix(500)), claim.id, claim.token
                ) { row in row["id"] as String } != nil
            }
        }
    }

    /// The wait before the next attempt: `firstRetry · 2^(attempt−1)`, capped, then
    /// jittered down by up to half so that endpoints failing together do not retry together.
    public func retryDelayMilliseconds(afterAttempt attempt: Int) -> Int64 {
        let doublings = min(max(attempt - 1, 0), 40)
        let capped = Double(min(configuration.maxRetryMilliseconds, configuration.firstRetryMilliseconds << Int64(min(doublings, 30))))
        return Int64(capped * Double.random(in: 0.5...1.0))
    }

    private static func endpoint(_ id: String, now: Int64, in db: any SQLConnection) throws -> (url: String, secrets: [String])? {
        try db.queryFirst(
            """
            SELECT url, secret, previous_secret, previous_secret_expires_at_ms FROM webhook_endpoints
            WHERE id = ? AND deleted_at_ms IS NULL
            """,
            id
        ) { row in
            var secrets: [String] = [row["secret"]]
            if let previous = row["previous_secret"] as String?, let until = row["previous_secret_expires_at_ms"] as Int64?,
               until > now {
                secrets.append(previous)
            }
            return (row["url"] as String, secrets)
        }
    }

    /// The event's stored body, rendered and stored first if no attempt has rendered it.
    private static func body(
        of eventID: String, render: @Sendable (EventSource) -> String, in db: any SQLConnection
    ) throws -> String {
        let event = try db.queryFirst(
            "SELECT type, job_id, created_at_ms, body FROM webhook_events WHERE id = ?", eventID
        ) { row in (type: row["type"] as String, jobID: row["job_id"] as String, created: row["created_at_ms"] as Int64,
                    body: row["body"] as String?) }
        guard let event else { throw QueueError.brokenInvariant("delivery of a missing event \(eventID)") }
        if let body = event.body { return body }
        guard let job = try JobRow.find(event.jobID, in: db) else {
            throw QueueError.brokenInvariant("event \(eventID) of a missing job \(event.jobID)")
        }
        let rendered = render(EventSource(eventID: eventID, type: event.type, createdAtMilliseconds: event.created, job: job))
        // Another worker's claim of a sibling delivery may have stored it first (PostgreSQL,
        // READ COMMITTED): then its bytes are the event's.
        let stored = try db.queryFirst(
            "UPDATE webhook_events SET body = ? WHERE id = ? AND body IS NULL RETURNING body", rendered, eventID
        ) { row in row["body"] as String }
        if let stored { return stored }
        return try db.queryFirst("SELECT body FROM webhook_events WHERE id = ?", eventID) { row in row["body"] as String } ?? rendered
    }
}
