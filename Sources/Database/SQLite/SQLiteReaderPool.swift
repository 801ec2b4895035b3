import Synchronization

/// Reader connections lent to the calling task for one read transaction, run on the
/// caller's own thread.
///
/// A read on a WAL database never waits for the writer, and the reads the API makes are
/// index lookups of a few microseconds: handing each to a dispatch queue and back cost
/// more than the read (two thread wake-ups; a status poll made two such hops). The
/// writer keeps its queue, because a write can wait seconds for another process's lock.
final class SQLiteReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection] = []
        var openCount = 0
        var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    }

    /// Connections open at most; a read beyond them waits for one to come back.
    let maxConnections: Int
    private let state = Mutex(State())
    private let openConnection: @Sendable () throws -> SQLiteConnection

    /// Opens `initialCount` connections now, and more on demand up to `maxConnections`.
    init(initialCount: Int, maxConnections: Int, open: @escaping @Sendable () throws -> SQLiteConnection) throws {
        precondition(initialCount > 0 && initialCount <= maxConnections, "a pool holds from one to its maximum")
        self.maxConnections = maxConnections
        openConnection = open
        let first = try (0..<initialCount).map { _ in try open() }
        state.withLock { state in
            state.idle = first
            state.openCount = first.count
        }
    }

    /// Runs `body` in a read transaction (`BEGIN DEFERRED`) on a connection of the pool.
    func read<T: Sendable>(_ body: (any SQLConnection) throws -> T) async throws -> T {
        let connection = try await borrow()
        defer { giveBack(connection) }
        return try connection.inTransaction("BEGIN DEFERRED", body)
    }

    private enum Lend {
        case idle(SQLiteConnection)
        case openNew
        case wait
    }

    private func borrow() async throws -> SQLiteConnection {
        let lend: Lend = state.withLock { state in
            if let connection = state.idle.popLast() { return .idle(connection) }
            guard state.openCount < maxConnections else { return .wait }
            state.openCount += 1
            return .openNew
        }
        switch lend {
        case .idle(let connection):
            return connection
        case .openNew:
            do {
                return try openConnection()
            } catch {
                state.withLock { $0.openCount -= 1 }
                throw error
            }
        case .wait:
            return await withCheckedContinuation { continuation in
                let ready: SQLiteConnection? = state.withLock { state in
                    if let connection = state.idle.popLast() { return connection }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    private func giveBack(_ connection: SQLiteConnection) {
        let waiter: CheckedContinuation<SQLiteConnection, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }
}
