import Database

/// Accounts that sign in with an email and a password, and their sessions. Passwords
/// arrive here already hashed (bcrypt, in the API); session and CSRF tokens are kept
/// only as SHA-256 hashes, like API keys.
extension Accounts {
    /// A session just started: both tokens are given to the browser once.
    public struct Session: Sendable {
        /// The `auris_session` cookie's value.
        public var token: String
        /// The `auris_csrf` cookie's value, echoed in `X-CSRF-Token` on state changes.
        public var csrfToken: String
        public var expiresAtMilliseconds: Int64
    }

    /// A live session found by its token.
    public struct ActiveSession: Sendable {
        public var account: AccountID
        let csrfHash: String

        /// Whether `token` is this session's CSRF token (compared in constant time).
        public func accepts(csrfToken token: String) -> Bool {
            token.utf8.count <= 128 && APIKey.constantTimeEqual(APIKey.hash(token), csrfHash)
        }
    }

    /// Creates an account that signs in with `email`, and grants it the sign-up credits
    /// in the same transaction.
    /// - Parameter email: already normalised (trimmed, lower-case) by the caller.
    /// - Throws: `AccountsError` `.isEmailTaken` when another account has this email.
    public func signUp(email: String, passwordHash: String, signupCredits: Int64) async throws -> AccountID {
        precondition(signupCredits >= 0, "sign-up credits are never negative")
        let now = clock.nowMilliseconds
        do {
            return try await database.write { db in
                let taken = try db.queryFirst("SELECT account_id FROM account_logins WHERE email = ?", email) { _ in true } ?? false
                guard !taken else { throw AccountsError.emailTaken }
                let id = try Self.createUser(name: email, signupCredits: signupCredits, in: db, at: now)
                try db.execute(
                    "INSERT INTO account_logins (account_id, email, password_hash, created_at_ms) VALUES (?, ?, ?, ?)",
                    id.rawValue, email, passwordHash, now)
                return id
            }
        } catch let error as DatabaseError where error.isUniqueViolation {
            // Two sign-ups with one email at once: the index let one through.
            throw AccountsError.emailTaken
        }
    }

    /// The account that signs in with `email` and its password hash, or nil.
    public func login(email: String) async throws -> (account: AccountID, passwordHash: String)? {
        try await database.read { db in
            try db.queryFirst("SELECT account_id, password_hash FROM account_logins WHERE email = ?", email) { row in
                (AccountID(rawValue: row["account_id"]), row["password_hash"] as String)
            }
        }
    }

    /// The email an account signs in with; nil for an account made with a key only.
    public func email(of account: AccountID) async throws -> String? {
        try await database.read { db in
            try db.queryFirst("SELECT email FROM account_logins WHERE account_id = ?", account.rawValue) { row in
                row["email"] as String
            }
        }
    }

    /// Starts a session with fresh tokens. The session the browser came with, if any, is
    /// ended in the same transaction, so a token planted before sign-in never becomes a
    /// signed-in one; the account's expired sessions are removed.
    public func startSession(for account: AccountID, lifetimeMilliseconds: Int64, replacing oldToken: String?) async throws -> Session {
        let now = clock.nowMilliseconds
        let session = Session(
            token: APIKey.generate(prefix: "as_"), csrfToken: APIKey.generate(prefix: "cs_"),
            expiresAtMilliseconds: now + lifetimeMilliseconds)
        try await database.write { db in
            if let oldToken { try db.execute("DELETE FROM account_sessions WHERE token_hash = ?", APIKey.hash(oldToken)) }
            try db.execute("DELETE FROM account_sessions WHERE account_id = ? AND expires_at_ms <= ?", account.rawValue, now)
            try db.execute(
                """
                INSERT INTO account_sessions (token_hash, account_id, csrf_hash, created_at_ms, expires_at_ms)
                VALUES (?, ?, ?, ?, ?)
                """,
                APIKey.hash(session.token), account.rawValue, APIKey.hash(session.csrfToken), now, session.expiresAtMilliseconds)
        }
        return session
    }

    /// The live session of `token`, or nil for an unknown, ended or expired one.
    public func session(token: String) async throws -> ActiveSession? {
        guard token.utf8.count <= 128, token.hasPrefix("as_") else { return nil }
        let hash = APIKey.hash(token)
        let now = clock.nowMilliseconds
        return try await database.read { db in
            try db.queryFirst(
                "SELECT token_hash, account_id, csrf_hash FROM account_sessions WHERE token_hash = ? AND expires_at_ms > ?", hash, now
            ) { row in
                APIKey.constantTimeEqual(row["token_hash"], hash)
                    ? ActiveSession(account: AccountID(rawValue: row["account_id"]), csrfHash: row["csrf_hash"]) : nil
            } ?? nil
        }
    }

    /// Ends a session (sign-out): its token is refused from the commit on.
    public func endSession(token: String) async throws {
        _ = try await database.write { db in
            try db.execute("DELETE FROM account_sessions WHERE token_hash = ?", APIKey.hash(token))
        }
    }
}
