import Dispatch
public import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A PostgreSQL database shared by any number of processes and hosts: a bounded pool of
/// connections, each on its own serial queue (see `PostgreSQLConnection`).
///
/// Every write transaction is SERIALIZABLE and is run again when PostgreSQL fails it to
/// keep concurrent transactions serializable (SQLSTATE 40001, or 40P01 for a deadlock).
/// The rules of the ledger and the queue were written for SQLite's one writer at a time;
/// serializable isolation gives them the same guarantee — every outcome is one some
/// serial order of the transactions would give — on a server where writes from many
/// hosts overlap (docs/ARCHITECTURE.md, "PostgreSQL's concurrency").
public final class PostgreSQLDatabase: SQLDatabase {
    public struct Configuration: Sendable {
        /// Connections this process opens at the most, each when first needed.
        public var poolSize = 4
        /// Runs of one write transaction before a serialization failure reaches the caller.
        public var maxAttempts = 50

        public init() {}
    }

    public let url: PostgreSQLURL
    public var dialect: SQLDialect { .postgresql }
    public var location: String { url.description }
    let configuration: Configuration
    private let logger: Logger
    private let slots: [ConnectionSlot]
    private let pool: Mutex<PoolState>

    private struct PoolState {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    /// Connects (creating nothing: the database must exist) and applies the migrations
    /// not yet applied, one process at a time.
    public static func open(
        url: PostgreSQLURL, migrations: [Migration], configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "auris.database")
    ) async throws -> PostgreSQLDatabase {
        let database = PostgreSQLDatabase(url: url, configuration: configuration, logger: logger)
        try await database.withConnection { connection in
            // A session lock, taken before the transaction begins, so that the transaction's
            // snapshot sees what the process that held the lock before committed.
            try connection.execute("SELECT pg_advisory_lock(?)", Self.migrationLockKey)
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock(?)", Self.migrationLockKey) }
            try connection.transaction(begin: "BEGIN", maxAttempts: 1) { db in try Migrator.apply(migrations, in: db) }
        }
        return database
    }

    /// The advisory lock migrations take: any number, the same in every process ("auris").
    static let migrationLockKey: Int64 = 0x6175_7269_73

    init(url: PostgreSQLURL, configuration: Configuration, logger: Logger) {
        precondition(configuration.poolSize > 0 && configuration.maxAttempts > 0, "a pool has connections")
        self.url = url
        self.configuration = configuration
        self.logger = logger
        slots = (0..<configuration.poolSize).map { index in ConnectionSlot(index: index, url: url, logger: logger) }
        pool = Mutex(PoolState(idle: Array(slots.indices)))
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let attempts = configuration.maxAttempts
        return try await withConnection { connection in
            try connection.transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE", maxAttempts: attempts, body)
        }
    }

    public func writeLockingRows<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws
        -> T
    {
        let attempts = configuration.maxAttempts
        return try await withConnection { connection in
            try connection.transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", maxAttempts: attempts, body)
        }
    }

    public func writeOneStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws
        -> T
    {
        let attempts = configuration.maxAttempts
        return try await withConnection { connection in
            try connection.transaction(begin: nil, maxAttempts: attempts, body)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let attempts = configuration.maxAttempts
        return try await withConnection { connection in
            try connection.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", maxAttempts: attempts, body)
        }
    }

    public func subscribe(channel: String, onNotify: @escaping @Sendable () -> Void) -> (any NotificationSubscription)? {
        PostgreSQLListener(url: url, channel: channel, logger: logger, onNotify: onNotify)
    }

    /// Runs `body` with a pooled connection, on that connection's queue; waits for one
    /// to be free when all are busy.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgreSQLConnection) throws -> T) async throws -> T {
        let index = await acquire()
        defer { release(index) }
        return try await slots[index].run(body)
    }

    private func acquire() async -> Int {
        await withCheckedContinuation { continuation in
            let free: Int? = pool.withLock { state in
                if let index = state.idle.popLast() { return index }
                state.waiters.append(continuation)
                return nil
            }
            if let free { continuation.resume(returning: free) }
        }
    }

    private func release(_ index: Int) {
        let waiter: CheckedContinuation<Int, Never>? = pool.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }

    /// Closes every pooled connection and waits until each is closed. The database stays
    /// usable: the next transaction connects again.
    public func close() async {
        for slot in slots { await slot.close() }
    }

    /// Connects to `url` once, runs `script` outside a transaction and disconnects:
    /// for what a pool cannot do, such as `CREATE DATABASE`.
    public static func run(script: String, at url: PostgreSQLURL, logger: Logger = Logger(label: "auris.database"))
        async throws
    {
        let slot = ConnectionSlot(index: 0, url: url, logger: logger)
        try await slot.run { connection in try connection.executeScript(script) }
    }
}

/// One pooled connection and the serial queue that is its only user; connected when
/// first used, and again after the server or the network closed it.
private final class ConnectionSlot: @unchecked Sendable {
    private let queue: DispatchQueue
    private let url: PostgreSQLURL
    private let index: Int
    private let logger: Logger
    // Only touched on `queue`.
    private var connection: PostgreSQLConnection?

    init(index: Int, url: PostgreSQLURL, logger: Logger) {
        queue = DispatchQueue(label: "auris.database.postgresql.\(index)")
        self.url = url
        self.index = index
        self.logger = logger
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PostgreSQLConnection) throws -> T) async throws -> T {
        try await queue.run { [self] in try runHere(body) }
    }

    func close() async {
        try? await queue.run { [self] in
            try? connection?.connection.close().wait()
            connection = nil
        }
    }

    private func runHere<T>(_ body: (PostgreSQLConnection) throws -> T) throws -> T {
        if connection?.isClosed ?? true {
            connection = nil
            connection = try PostgreSQLConnection.connect(to: url, id: index, logger: logger)
        }
        guard let connection else { preconditionFailure("connected above") }
        defer { if connection.isClosed { self.connection = nil } }
        return try body(connection)
    }
}
