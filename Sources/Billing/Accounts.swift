import Crypto
public import Database
import Foundation

/// Users' accounts, their API keys and their credits: the operations the API and the
/// command line need, each one transaction.
///
/// ```swift
/// let accounts = Accounts(database: database)
/// let created = try await accounts.create(name: "Ada", signupCredits: 10)
/// let balance = try await accounts.balance(of: created.id)   // available: 10
/// ```
public struct Accounts: Sendable {
    /// What `create` returns: the key is shown once and stored only as a hash.
    public struct Created: Sendable, Codable {
        public var id: AccountID
        public var apiKey: String
    }

    let database: any SQLDatabase
    let clock: any WallClock

    public init(database: any SQLDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    /// Creates a user with a fresh API key and grants the sign-up credits.
    public func create(name: String, signupCredits: Int64) async throws -> Created {
        precondition(signupCredits >= 0, "sign-up credits are never negative")
        let apiKey = APIKey.generate()
        let now = clock.nowMilliseconds
        let id = try await database.write { db in
            let id = try Self.createUser(name: name, signupCredits: signupCredits, in: db, at: now)
            _ = try Self.insertKey(apiKey, account: id, name: "default", in: db, at: now)
            return id
        }
        return Created(id: id, apiKey: apiKey)
    }

    /// A user's ledger account and its sign-up grant, in the caller's transaction: the
    /// grant's id names the account, so it is given once.
    static func createUser(name: String, signupCredits: Int64, in db: any SQLConnection, at now: Int64) throws -> AccountID {
        let ledger = Ledger(db)
        let id = try ledger.createUserAccount(name: name, at: now)
        if signupCredits > 0 {
            try ledger.grant(
                id: "signup:\(id.rawValue)", to: id, from: .grants, amount: signupCredits,
                reason: .signup, at: now)
        }
        return id
    }

    /// The account an API key belongs to, or nil for an unknown or revoked key.
    ///
    /// Read from the database on every call, never cached: a key revoked by any process
    /// is refused by every other at once (docs/ARCHITECTURE.md, "Accounts, sessions and
    /// keys"). The key's last use is written at most once a minute.
    public func authenticate(apiKey: String) async throws -> AccountID? {
        guard APIKey.isWellFormed(apiKey) else { return nil }
        let hash = APIKey.hash(apiKey)
        let found = try await database.read { db in
            try db.queryFirst(
                "SELECT key_hash, account_id, last_used_at_ms FROM api_keys WHERE key_hash = ? AND revoked_at_ms IS NULL", hash
            ) { row in
                (row["key_hash"] as String, AccountID(rawValue: row["account_id"]), row["last_used_at_ms"] as Int64?)
            }
        }
        // The index found the row; comparing the hashes again in constant time keeps the
        // answer from depending on how much of a guessed key matched.
        guard let found, APIKey.constantTimeEqual(found.0, hash) else { return nil }
        let now = clock.nowMilliseconds
        if (found.2 ?? .min) < now - Self.lastUseResolutionMilliseconds {
            try await recordUse(keyHash: hash, at: now)
        }
        return found.1
    }

    /// An operator's grant of free credits, recorded with its reason.
    ///
    /// - Returns: the transfer id.
    @discardableResult
    public func grant(to account: AccountID, credits: Int64, note: String?) async throws -> String {
        precondition(credits > 0, "a grant is positive")
        let now = clock.nowMilliseconds
        let id = RandomIdentifier.make(prefix: "grant", nowMilliseconds: now)
        _ = try await database.write { db in
            try Ledger(db).grant(
                id: id, to: account, from: .grants, amount: credits, reason: .adminGrant, note: note, at: now)
        }
        return id
    }

    /// Forgives what `account` owes for a refunded or disputed purchase (an operator's
    /// decision): its jobs may start again. No credits move.
    /// - Returns: the credits forgiven (0 when nothing was owed).
    /// - Throws: `LedgerError` `.unknownAccount` for an account that is not a user's.
    public func forgiveDebt(of account: AccountID, note: String?) async throws -> Int64 {
        let now = clock.nowMilliseconds
        return try await database.write { db in
            let ledger = Ledger(db)
            guard try ledger.isUserAccount(account) else { throw LedgerError.unknownAccount(account) }
            return try ledger.forgiveDebt(of: account, note: note, at: now)
        }
    }

    public func balance(of account: AccountID) async throws -> Balance {
        try await database.read { db in try Ledger(db).balance(of: account) }
    }

    /// The balance and the latest movements, read from one snapshot.
    public func statement(of account: AccountID, historyLimit: Int) async throws -> (Balance, [Movement]) {
        try await database.read { db in
            let ledger = Ledger(db)
            return (try ledger.balance(of: account), try ledger.history(of: account, limit: historyLimit))
        }
    }
}

/// API keys: `ak_` and 40 random base-32 characters (200 bits), stored as SHA-256 hex.
/// Session and CSRF tokens are made and stored the same way with their own prefixes.
enum APIKey {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func generate(prefix: String = "ak_") -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<40).map { _ in alphabet[Int(generator.next() & 31)] }
        return prefix + String(decoding: characters, as: UTF8.self)
    }

    static func isWellFormed(_ key: String) -> Bool {
        key.utf8.count <= 128 && key.hasPrefix("ak_")
    }

    static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).hexString
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

extension Accounts {
    /// Credits held by running or waiting jobs now, and captured and released since the start.
    public struct Totals: Sendable, Equatable {
        public var reserved: Int64
        public var captured: Int64
        public var released: Int64
    }

    /// The ledger's running totals, for metrics.
    public func totals() async throws -> Totals {
        try await database.read { db in
            // System accounts cache no sums (BillingMigrations, billing.4): summed here.
            let sums = try db.queryFirst(
                """
                SELECT coalesce(sum(CASE WHEN phase = 'pending' THEN amount ELSE 0 END), 0) AS held,
                    coalesce(sum(CASE WHEN phase = 'post' THEN amount ELSE 0 END), 0) AS captured,
                    coalesce(sum(CASE WHEN phase = 'void' THEN amount ELSE 0 END), 0) AS released
                FROM ledger_transfers WHERE credit_account_id = ?
                """,
                AccountID.consumed.rawValue
            ) { row in (held: row["held"] as Int64, captured: row["captured"] as Int64, released: row["released"] as Int64) }
            guard let sums else { return Totals(reserved: 0, captured: 0, released: 0) }
            return Totals(reserved: sums.held - sums.captured - sums.released, captured: sums.captured, released: sums.released)
        }
    }
}
