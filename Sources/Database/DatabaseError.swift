import CSQLite

/// An error from SQLite or PostgreSQL, with its code and message, or from this wrapper.
///
/// SQLite errors carry SQLite's extended result code (`SQLITE_CONSTRAINT_UNIQUE`, …);
/// PostgreSQL errors its SQLSTATE (`23505`, …). The questions callers ask —
/// a unique or check violation, a conflict worth running again — have one answer for both.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// The primary result code (the low byte of the extended code); 0 for PostgreSQL.
    public var resultCode: Int32 { extendedResultCode & 0xFF }
    /// SQLite's extended result code; 0 for PostgreSQL.
    public let extendedResultCode: Int32
    /// PostgreSQL's SQLSTATE; nil for SQLite.
    public let sqlState: String?
    /// The server's or the wrapper's message.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(extendedResultCode: Int32, message: String, sql: String? = nil) {
        self.extendedResultCode = extendedResultCode
        self.sqlState = nil
        self.message = message
        self.sql = sql
    }

    public init(sqlState: String, message: String, sql: String? = nil) {
        self.extendedResultCode = 0
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text =
            if let sqlState { "PostgreSQL error \(sqlState): \(message)" } else {
                "SQLite error \(extendedResultCode): \(message)"
            }
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }

    /// A constraint (UNIQUE, CHECK, FOREIGN KEY, NOT NULL, or a trigger guarding one)
    /// refused the change.
    public var isConstraintViolation: Bool {
        if let sqlState { return sqlState.hasPrefix("23") }
        return resultCode == SQLITE_CONSTRAINT
    }
    /// A UNIQUE or PRIMARY KEY constraint refused the change.
    public var isUniqueViolation: Bool {
        if let sqlState { return sqlState == "23505" }
        return extendedResultCode == csqlite_constraint_unique() || extendedResultCode == csqlite_constraint_primarykey()
    }
    /// A CHECK constraint refused the change.
    public var isCheckViolation: Bool {
        if let sqlState { return sqlState == "23514" }
        return extendedResultCode == csqlite_constraint_check()
    }
    /// Another connection held the lock for longer than the busy timeout.
    public var isBusy: Bool {
        if let sqlState { return sqlState == "55P03" }
        return resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED
    }
    /// PostgreSQL failed this transaction to keep concurrent ones serializable
    /// (`40001`) or to break a deadlock (`40P01`): running it again is the answer.
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    static func misuse(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedResultCode: SQLITE_MISUSE, message: message, sql: sql)
    }
}
