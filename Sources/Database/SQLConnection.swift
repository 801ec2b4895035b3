/// One connection inside a transaction: the only way Billing, Payments and Queue touch
/// the database (docs/ARCHITECTURE.md, "The store boundary").
///
/// The rules — which movement goes with which transition, the `WHERE` that names the old
/// state — are written once against this protocol; `SQLiteConnection` and
/// `PostgreSQLConnection` differ only in how they run a statement. Statements use `?` or
/// `?N` placeholders on both (PostgreSQL's are rewritten to `$N`), and read rows by
/// column name.
///
/// A connection is handed to a transaction's closure and must not outlive it. Its calls
/// block the calling thread, which is always a thread the database dedicates to the
/// connection, never Swift's cooperative pool or an event loop.
public protocol SQLConnection: AnyObject {
    /// Which SQL the connection speaks, for the few statements that differ.
    var dialect: SQLDialect { get }

    /// Whether the connection is inside a transaction.
    var isInTransaction: Bool { get }

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: (any DatabaseValueConvertible)?...) throws -> Int

    /// Runs a query and maps each row.
    func query<T>(_ sql: String, _ arguments: (any DatabaseValueConvertible)?..., map: (Row) throws -> T) throws -> [T]

    /// Runs a query and maps its first row, or returns nil when there is none.
    func queryFirst<T>(_ sql: String, _ arguments: (any DatabaseValueConvertible)?..., map: (Row) throws -> T) throws -> T?

    /// Runs several statements separated by semicolons, without arguments (migrations).
    func executeScript(_ sql: String) throws

    /// Wakes the listeners of `channel` once this transaction commits (PostgreSQL's
    /// `NOTIFY`); nothing on SQLite, whose processes share a machine and wake each other
    /// through `JobWakeups`.
    func notify(channel: String) throws
}

/// The SQL a connection speaks.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgresql

    /// The suffix of a `SELECT` that takes the rows it returns for this transaction,
    /// waiting for another transaction that holds them (`writeLockingRows`).
    public var lockRows: String {
        switch self {
        case .sqlite: ""
        case .postgresql: " FOR UPDATE"
        }
    }

    /// The suffix of a `SELECT` that takes the rows it returns for this transaction and
    /// passes over rows another transaction holds: claims on PostgreSQL. SQLite has one
    /// writer at a time, so there is nothing to skip.
    public var lockRowsSkippingLocked: String {
        switch self {
        case .sqlite: ""
        case .postgresql: " FOR UPDATE SKIP LOCKED"
        }
    }
}

/// A database that runs transactions: `SQLiteDatabase` (a file, the embedded default)
/// or `PostgreSQLDatabase` (a server shared by several hosts).
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }

    /// Where the database is, for logs: a path, or a URL without its password.
    var location: String { get }

    /// Runs `body` in a write transaction, committed durably before this returns and
    /// rolled back when it throws.
    ///
    /// `body` may run more than once (PostgreSQL answers a conflict between concurrent
    /// serializable transactions by failing one, and it is run again), so it must do
    /// nothing but SQL and computing its result.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a write transaction that guards what it changes with explicit row
    /// locks (`SELECT … FOR UPDATE`, `lockRows`) and re-checks in each `UPDATE`'s `WHERE`,
    /// rather than with serializable isolation: claims, which every idle worker of every
    /// host runs against the same few rows. On PostgreSQL it runs at READ COMMITTED, where
    /// a statement waiting on a lock sees the row as its holder committed it; on SQLite it
    /// is `write`.
    func writeLockingRows<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body`, which sends exactly one statement (a call of a PL/pgSQL function that
    /// does a whole state change), as a transaction of its own: on PostgreSQL without
    /// BEGIN and COMMIT around it (one round trip instead of three), at READ COMMITTED
    /// with a synchronous commit, run again on SQLSTATE 40001/40P01 as
    /// `writeLockingRows` is; on SQLite it is `write`.
    func writeOneStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a read-only transaction: one consistent snapshot of the database.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Calls `onNotify` each time a transaction that called `notify(channel:)` commits, in
    /// any process on any host, until the subscription stops; nil when the database
    /// cannot tell (SQLite: processes on one machine use `JobWakeups` instead).
    func subscribe(channel: String, onNotify: @escaping @Sendable () -> Void) -> (any NotificationSubscription)?
}

/// Notifications being delivered until `stop()`.
public protocol NotificationSubscription: Sendable {
    func stop()
}
