/// The way into one SQLite file: a writer connection on its own serial dispatch queue,
/// and a pool of reader connections that run reads on the caller's thread.
///
/// SQLite allows one writer at a time per file (across processes too), and its busy
/// waits block the calling thread; running writes on a dedicated queue keeps them off
/// Swift's cooperative thread pool, so a slow lock never stalls the HTTP server. Reads
/// of a WAL database take no lock that waits (`SQLiteReaderPool`).
///
/// ```swift
/// let database = try await SQLiteDatabase.open(path: "data/auris.sqlite", migrations: migrations)
/// let count = try await database.write { db in
///     try db.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running' AND id = ?", id)
/// }
/// ```
public final class SQLiteDatabase: SQLDatabase {
    /// How connections are opened.
    public struct Configuration: Sendable {
        /// How long a write transaction waits for another connection's lock.
        public var busyTimeoutMilliseconds: Int32 = 10_000
        /// `FULL`: every committed transaction is on disk (fsync of the WAL) before
        /// `write` returns. Money moves in these transactions, so durability wins over
        /// the few microseconds `NORMAL` would save.
        public var synchronous: String = "FULL"
        /// Connections for `read` opened at once; WAL lets them read while the writer writes.
        public var readerCount: Int = 2
        /// Connections for `read` at most: one per thread reading at the same moment.
        public var maxReaderCount: Int = 16

        public init() {}
    }

    /// The file this database opened.
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    public var location: String { path }
    private let writer: GroupCommitWriter
    private let readers: SQLiteReaderPool

    /// Opens the file, creating it when needed, and applies the migrations not yet applied.
    public static func open(
        path: String,
        migrations: [Migration],
        configuration: Configuration = Configuration()
    ) async throws -> SQLiteDatabase {
        let queue = try SQLiteDatabase(path: path, configuration: configuration)
        try await queue.write { db in try Migrator.apply(migrations, in: db) }
        return queue
    }

    init(path: String, configuration: Configuration) throws {
        precondition(configuration.readerCount > 0, "a database needs at least one reader")
        self.path = path
        writer = try GroupCommitWriter(
            label: "auris.database.writer",
            connection: SQLiteConnection(
                path: path, readOnly: false,
                busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds,
                synchronous: configuration.synchronous
            ),
            processLock: ProcessWriteLock(databasePath: path),
            busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds
        )
        readers = try SQLiteReaderPool(
            initialCount: configuration.readerCount, maxConnections: max(configuration.readerCount, configuration.maxReaderCount)
        ) {
            try SQLiteConnection(
                path: path, readOnly: false,
                busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds,
                synchronous: configuration.synchronous
            )
        }
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`): committed — durably — before
    /// this returns, rolled back when it throws. Writes that arrive together share one
    /// commit (see `GroupCommitWriter`), each isolated in a savepoint.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// The same as `write`: SQLite has one writer at a time, which locks everything.
    public func writeLockingRows<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// The same as `write`: a statement without a transaction saves SQLite nothing.
    public func writeOneStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// Nil: processes sharing an SQLite file share a machine and wake each other through
    /// `JobWakeups` sockets.
    public func subscribe(channel: String, onNotify: @escaping @Sendable () -> Void) -> (any NotificationSubscription)? {
        nil
    }

    /// Runs `body` in a read transaction: one consistent snapshot of the database.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await readers.read(body)
    }
}

extension SQLiteConnection {
    func inTransaction<T>(_ begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        precondition(!isInTransaction, "transactions do not nest")
        try execute(begin)
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { _ = try? execute("ROLLBACK") }
            throw error
        }
    }
}
