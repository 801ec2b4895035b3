import Database

/// API keys of an account: created (the key shown once), listed, revoked.
extension Accounts {
    /// A key as listed: never the key itself, only the first characters to recognise it.
    public struct KeySummary: Sendable, Equatable {
        public var id: String
        public var name: String
        /// `ak_` and the first four characters; empty for keys made before keys had one.
        public var prefix: String
        public var createdAtMilliseconds: Int64
        public var lastUsedAtMilliseconds: Int64?
    }

    /// What `createKey` returns: the key is shown once and stored only as a hash.
    public struct CreatedKey: Sendable {
        public var summary: KeySummary
        public var apiKey: String
    }

    /// Live keys one account may have: each is a way in to guard.
    public static let maxKeysPerAccount = 50

    /// A key's last use is written at most this often: a write per request would put
    /// every authenticated request in line for the write lock.
    static let lastUseResolutionMilliseconds: Int64 = 60_000

    /// Creates a key for `account`.
    /// - Throws: `AccountsError` past `maxKeysPerAccount` live keys; `LedgerError`
    ///   `.unknownAccount` for an account that is not a user's.
    public func createKey(for account: AccountID, name: String) async throws -> CreatedKey {
        let apiKey = APIKey.generate()
        let now = clock.nowMilliseconds
        let summary = try await database.write { db in
            guard try Ledger(db).isUserAccount(account) else { throw LedgerError.unknownAccount(account) }
            let live = try db.queryFirst(
                "SELECT count(*) AS live FROM api_keys WHERE account_id = ? AND revoked_at_ms IS NULL", account.rawValue
            ) { row in row["live"] as Int64 } ?? 0
            guard live < Self.maxKeysPerAccount else { throw AccountsError.tooManyKeys(limit: Self.maxKeysPerAccount) }
            return try Self.insertKey(apiKey, account: account, name: name, in: db, at: now)
        }
        return CreatedKey(summary: summary, apiKey: apiKey)
    }

    /// The account's live keys, newest first.
    /// - Throws: `LedgerError` `.unknownAccount` for an account that is not a user's.
    public func keys(of account: AccountID) async throws -> [KeySummary] {
        try await database.read { db in
            let isUser = try db.queryFirst("SELECT kind FROM ledger_accounts WHERE id = ?", account.rawValue) { row in
                (row["kind"] as String) == "user"
            } ?? false
            guard isUser else { throw LedgerError.unknownAccount(account) }
            return try db.query(
                """
                SELECT id, name, prefix, created_at_ms, last_used_at_ms FROM api_keys
                WHERE account_id = ? AND revoked_at_ms IS NULL ORDER BY created_at_ms DESC, id DESC
                """,
                account.rawValue
            ) { row in
                KeySummary(
                    id: row["id"], name: row["name"], prefix: row["prefix"],
                    createdAtMilliseconds: row["created_at_ms"], lastUsedAtMilliseconds: row["last_used_at_ms"])
            }
        }
    }

    /// Revokes one of the account's keys: from the commit on, no process accepts it.
    /// - Returns: false when the account has no such live key (another account's key
    ///   is not found either).
    @discardableResult
    public func revokeKey(_ id: String, of account: AccountID) async throws -> Bool {
        let now = clock.nowMilliseconds
        return try await database.write { db in
            try db.execute(
                "UPDATE api_keys SET revoked_at_ms = ? WHERE id = ? AND account_id = ? AND revoked_at_ms IS NULL",
                now, id, account.rawValue) == 1
        }
    }

    static func insertKey(
        _ apiKey: String, account: AccountID, name: String, in db: any SQLConnection, at now: Int64
    ) throws -> KeySummary {
        let summary = KeySummary(
            id: RandomIdentifier.make(prefix: "key", nowMilliseconds: now), name: name,
            prefix: String(apiKey.prefix(7)), createdAtMilliseconds: now, lastUsedAtMilliseconds: nil)
        try db.execute(
            "INSERT INTO api_keys (key_hash, account_id, created_at_ms, id, name, prefix) VALUES (?, ?, ?, ?, ?, ?)",
            APIKey.hash(apiKey), account.rawValue, now, summary.id, name, summary.prefix)
        return summary
    }

    func recordUse(keyHash: String, at now: Int64) async throws {
        _ = try await database.write { db in
            try db.execute(
                "UPDATE api_keys SET last_used_at_ms = ? WHERE key_hash = ? AND (last_used_at_ms IS NULL OR last_used_at_ms < ?)",
                now, keyHash, now - Self.lastUseResolutionMilliseconds)
        }
    }
}
