public import Billing
public import Database

/// The webhook endpoints of accounts: registered, listed, deleted and given a new secret
/// (docs/ARCHITECTURE.md, "Webhooks"). The URL is checked by the caller (the API refuses
/// private addresses) before it reaches here.
public struct WebhookEndpoints: Sendable {
    /// Live endpoints one account may have; one more is refused.
    public static let maxPerAccount = 10
    /// The longest URL kept.
    public static let maxURLBytes = 2_048
    /// How long a rotated-out secret keeps signing beside the new one, so receivers can
    /// switch without losing a delivery.
    public static let rotationGraceMilliseconds: Int64 = 24 * 3_600_000

    public struct Endpoint: Sendable, Equatable {
        public var id: String
        public var url: String
        public var createdAtMilliseconds: Int64
        /// Until when the previous secret still signs, after a rotation.
        public var previousSecretExpiresAtMilliseconds: Int64?
    }

    /// An endpoint with its secret, shown once: at creation and at rotation.
    public struct WithSecret: Sendable, Equatable {
        public var endpoint: Endpoint
        public var secret: String
    }

    public enum CreateOutcome: Sendable, Equatable {
        case created(WithSecret)
        case limitReached(limit: Int)
    }

    let database: any SQLDatabase
    let clock: any WallClock

    public init(database: any SQLDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    /// Registers `url` for `account`. Serializable (`write`): two concurrent creates
    /// cannot both pass the count.
    public func create(for account: AccountID, url: String) async throws -> CreateOutcome {
        precondition(!url.isEmpty && url.utf8.count <= Self.maxURLBytes, "the caller checks the URL")
        let now = clock.nowMilliseconds
        let id = RandomIdentifier.make(prefix: "we", nowMilliseconds: now)
        let secret = Self.makeSecret()
        return try await database.write { db in
            let live = try db.queryFirst(
                "SELECT count(*) AS live FROM webhook_endpoints WHERE account_id = ? AND deleted_at_ms IS NULL",
                account.rawValue
            ) { row in row["live"] as Int64 } ?? 0
            guard live < Self.maxPerAccount else { return .limitReached(limit: Self.maxPerAccount) }
            try db.execute(
                "INSERT INTO webhook_endpoints (id, account_id, url, secret, created_at_ms) VALUES (?, ?, ?, ?, ?)",
                id, account.rawValue, url, secret, now)
            return .created(WithSecret(
                endpoint: Endpoint(id: id, url: url, createdAtMilliseconds: now, previousSecretExpiresAtMilliseconds: nil),
                secret: secret))
        }
    }

    /// The account's live endpoints, newest first.
    public func list(of account: AccountID) async throws -> [Endpoint] {
        let now = clock.nowMilliseconds
        return try await database.read { db in
            try db.query(
                """
                SELECT id, url, created_at_ms, previous_secret_expires_at_ms FROM webhook_endpoints
                WHERE account_id = ? AND deleted_at_ms IS NULL ORDER BY created_at_ms DESC, id DESC
                """,
                account.rawValue
            ) { row in
                let expires: Int64? = row["previous_secret_expires_at_ms"]
                return Endpoint(
                    id: row["id"], url: row["url"], createdAtMilliseconds: row["created_at_ms"],
                    previousSecretExpiresAtMilliseconds: expires.flatMap { $0 > now ? $0 : nil })
            }
        }
    }

    /// Deletes one of the account's endpoints; its deliveries not yet tried end as
    /// failed in the same transaction (an attempt under way finishes).
    /// - Returns: false when the account has no such live endpoint.
    @discardableResult
    public func delete(_ id: String, of account: AccountID) async throws -> Bool {
        let now = clock.nowMilliseconds
        return try await database.writeLockingRows { db in
            let deleted = try db.queryFirst(
                """
                UPDATE webhook_endpoints SET deleted_at_ms = ? WHERE id = ? AND account_id = ? AND deleted_at_ms IS NULL
                RETURNING id
                """,
                now, id, account.rawValue
            ) { row in row["id"] as String }
            guard deleted != nil else { return false }
            try db.execute(
                """
                UPDATE webhook_deliveries SET state = 'failed', due_at_ms = NULL, finished_at_ms = ?,
                    last_error = 'endpoint deleted'
                WHERE endpoint_id = ? AND state = 'pending'
                """,
                now, id)
            return true
        }
    }

    /// Gives the endpoint a new secret; the old one keeps signing beside it for
    /// `rotationGraceMilliseconds`. A second rotation within the grace drops the oldest.
    /// - Returns: nil when the account has no such live endpoint.
    public func rotate(_ id: String, of account: AccountID) async throws -> WithSecret? {
        let now = clock.nowMilliseconds
        let secret = Self.makeSecret()
        return try await database.writeLockingRows { db in
            try db.queryFirst(
                """
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at_ms = ?, secret = ?
                WHERE id = ? AND account_id = ? AND deleted_at_ms IS NULL
                RETURNING id, url, created_at_ms, previous_secret_expires_at_ms
                """,
                now + Self.rotationGraceMilliseconds, secret, id, account.rawValue
            ) { row in
                WithSecret(
                    endpoint: Endpoint(
                        id: row["id"], url: row["url"], createdAtMilliseconds: row["created_at_ms"],
                        previousSecretExpiresAtMilliseconds: row["previous_secret_expires_at_ms"]),
                    secret: secret)
            }
        }
    }

    /// `whsec_` and 256 random bits in hex.
    static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        for _ in 0..<4 {
            var word = generator.next()
            for _ in 0..<16 {
                characters.append(hex[Int(word & 15)])
                word >>= 4
            }
        }
        return "whsec_" + String(decoding: characters, as: UTF8.self)
    }
}
