import CSQLite
import Foundation

/// One connection to an SQLite database file, with a cache of prepared statements.
///
/// A connection is used by one thread at a time: `SQLiteDatabase` owns each connection
/// and runs every access on its own serial dispatch queue, which is what makes the
/// `@unchecked Sendable` below safe. Code receives a connection only inside a
/// transaction closure and must not keep it.
public final class SQLiteConnection: SQLConnection, @unchecked Sendable {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    /// Each cached statement's result columns by name, found once when it is prepared.
    private var columnIndexes: [OpaquePointer: Row.ColumnIndexes] = [:]
    private let busyState: UnsafeMutablePointer<BusyState>

    /// Opens (creating if needed) the database at `path` in WAL mode with foreign keys on.
    ///
    /// - Parameters:
    ///   - path: the file; created with its folder's permissions.
    ///   - busyTimeoutMilliseconds: how long a write waits for another connection's lock.
    ///   - synchronous: SQLite's `synchronous` level; `FULL` makes every commit durable.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32, synchronous: String) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            if let handle { sqlite3_close_v2(handle) }
            throw DatabaseError(extendedResultCode: status, message: message)
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        busyState = .allocate(capacity: 1)
        busyState.initialize(to: BusyState(timeoutNanoseconds: UInt64(busyTimeoutMilliseconds) * 1_000_000))
        sqlite3_busy_handler(handle, busyHandler, busyState)
        // From here on every stored property is set, so a throw runs `deinit`, which
        // closes the handle and frees the busy state: closing them here too would free
        // them twice.
        if !readOnly {
            try enableWriteAheadLog()
        }
        try execute("PRAGMA foreign_keys = ON")
        // Savepoints of batched writes keep their journals in memory, not in temp files.
        try execute("PRAGMA temp_store = MEMORY")
        try execute("PRAGMA synchronous = \(synchronous)")
    }

    /// Switches the file to WAL. When several processes open a new file at once, the
    /// switch can find the file locked by another's; SQLite then keeps the old mode, so
    /// look at the mode it answers and try again for a while.
    private func enableWriteAheadLog() throws {
        for attempt in 0..<200 {
            do {
                let mode = try queryFirst("PRAGMA journal_mode = WAL") { row in row["journal_mode"] as String }
                if mode?.lowercased() == "wal" { return }
            } catch let error as DatabaseError where error.isBusy {
                // Another connection holds the lock; wait below and try again.
            }
            usleep(attempt < 20 ? 1_000 : 25_000)
        }
        throw DatabaseError.misuse("could not switch the database to WAL mode")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
        busyState.deinitialize(count: 1)
        busyState.deallocate()
    }

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: (any DatabaseValueConvertible)?...) throws -> Int {
        let statement = try prepared(sql)
        defer { reset(statement) }
        try bind(arguments, to: statement, sql: sql)
        while try step(statement, sql: sql) {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and maps each row.
    public func query<T>(
        _ sql: String,
        _ arguments: (any DatabaseValueConvertible)?...,
        map: (Row) throws -> T
    ) throws -> [T] {
        let statement = try prepared(sql)
        defer { reset(statement) }
        try bind(arguments, to: statement, sql: sql)
        var results: [T] = []
        let columns = columnIndexes[statement, default: [:]]
        while try step(statement, sql: sql) {
            results.append(try map(Row(storage: .sqlite(statement: statement, columns: columns))))
        }
        return results
    }

    /// Runs a query and maps its first row, or returns nil when there is none.
    public func queryFirst<T>(
        _ sql: String,
        _ arguments: (any DatabaseValueConvertible)?...,
        map: (Row) throws -> T
    ) throws -> T? {
        let statement = try prepared(sql)
        defer { reset(statement) }
        try bind(arguments, to: statement, sql: sql)
        guard try step(statement, sql: sql) else { return nil }
        return try map(Row(storage: .sqlite(statement: statement, columns: columnIndexes[statement, default: [:]])))
    }

    /// Runs several statements separated by semicolons, without arguments (migrations, pragmas).
    public func executeScript(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if status != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? "error \(status)"
            sqlite3_free(errorMessage)
            throw DatabaseError(extendedResultCode: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Whether the connection is inside a transaction.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    public var dialect: SQLDialect { .sqlite }

    /// Nothing to do: processes on one SQLite file share a machine, and whoever makes a
    /// job runnable wakes them through `JobWakeups` once the write has committed.
    public func notify(channel: String) throws {}

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw error(sql: sql)
        }
        statements[sql] = statement
        columnIndexes[statement] = Row.columnIndexes(of: statement)
        return statement
    }

    private func bind(_ arguments: [(any DatabaseValueConvertible)?], to statement: OpaquePointer, sql: String) throws {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard arguments.count == expected else {
            throw DatabaseError.misuse("expected \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let status = argument?.bind(to: statement, at: index) ?? sqlite3_bind_null(statement, index)
            guard status == SQLITE_OK else { throw error(sql: sql) }
        }
    }

    /// Steps once: true when a row is ready, false when the statement is done.
    private func step(_ statement: OpaquePointer, sql: String) throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(sql: sql)
        }
    }

    private func reset(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    private func error(sql: String?) -> DatabaseError {
        DatabaseError(
            extendedResultCode: sqlite3_extended_errcode(handle),
            message: String(cString: sqlite3_errmsg(handle)),
            sql: sql
        )
    }
}

/// What the busy handler needs across the calls of one wait.
struct BusyState {
    let timeoutNanoseconds: UInt64
    var startedAt: UInt64 = 0
}

/// Waits for another connection's lock in short, jittered sleeps.
///
/// SQLite's own busy timeout sleeps up to 100 ms at a time, which wastes most of the
/// time under contention from several worker processes; short random sleeps keep the
/// lock handed over within a millisecond or so while still bounded by the timeout.
private func busyHandler(_ context: UnsafeMutableRawPointer?, _ attempt: Int32) -> Int32 {
    guard let state = context?.assumingMemoryBound(to: BusyState.self) else { return 0 }
    let now = DispatchTime.now().uptimeNanoseconds
    if attempt == 0 { state.pointee.startedAt = now }
    if now - state.pointee.startedAt >= state.pointee.timeoutNanoseconds { return 0 }
    let sleepMicroseconds = attempt < 20 ? UInt32.random(in: 50...250) : UInt32.random(in: 500...2_000)
    usleep(sleepMicroseconds)
    return 1
}
