import CSQLite

/// An error from SQLite, with its result code and message, or from this wrapper.
///
/// Codes are SQLite's own (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …); `extendedResultCode`
/// tells constraint kinds apart (`SQLITE_CONSTRAINT_UNIQUE`, `_CHECK`, …).
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// The primary result code (the low byte of the extended code).
    public var resultCode: Int32 { extendedResultCode & 0xFF }
    /// SQLite's extended result code.
    public let extendedResultCode: Int32
    /// SQLite's message, or this wrapper's.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(extendedResultCode: Int32, message: String, sql: String? = nil) {
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(extendedResultCode): \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }

    /// A constraint (UNIQUE, CHECK, FOREIGN KEY, NOT NULL) refused the change.
    public var isConstraintViolation: Bool { resultCode == SQLITE_CONSTRAINT }
    /// A UNIQUE or PRIMARY KEY constraint refused the change.
    public var isUniqueViolation: Bool {
        extendedResultCode == csqlite_constraint_unique() || extendedResultCode == csqlite_constraint_primarykey()
    }
    /// A CHECK constraint refused the change.
    public var isCheckViolation: Bool { extendedResultCode == csqlite_constraint_check() }
    /// Another connection held the lock for longer than the busy timeout.
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }

    static func misuse(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedResultCode: SQLITE_MISUSE, message: message, sql: sql)
    }
}
