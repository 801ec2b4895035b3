import Dispatch
import Synchronization

/// The writer connection, committing the writes that arrive together in one transaction.
///
/// With `synchronous = FULL` every commit waits for an fsync of the WAL, and that wait,
/// not SQL, bounds how many transactions a second one connection can make. Writes that
/// queue up while a commit is in flight are run together: each in its own SAVEPOINT
/// (so one that throws is rolled back alone), then one COMMIT, and only then is each
/// caller answered. No caller hears "done" before its change is on disk, and each sees
/// the database as if the writes had run one after another.
final class GroupCommitWriter: Sendable {
    /// Writes in one transaction at the most.
    static let maxBatchCount = 64

    private let queue: DispatchQueue
    private let connection: SQLiteConnection
    /// Held around each batch, so writers of other processes wait in the kernel.
    private let processLock: ProcessWriteLock?
    private let state = Mutex(State())

    private struct State {
        var pending: [any PendingWrite] = []
        var draining = false
    }

    init(label: String, connection: SQLiteConnection, processLock: ProcessWriteLock?) {
        queue = DispatchQueue(label: label)
        self.connection = connection
        self.processLock = processLock
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let write = TypedPendingWrite(body: body, continuation: continuation)
            let startDrain = state.withLock { state in
                state.pending.append(write)
                defer { state.draining = true }
                return !state.draining
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    /// Runs batches until nothing is pending; only ever on `queue`.
    ///
    /// The batch is taken only once the process lock is held: writes that arrive while
    /// another process commits join this batch instead of waiting for the next one.
    private func drain() {
        while true {
            // Only this queue removes writes: once some are pending, they still are after the wait.
            let idle = state.withLock { state in
                if state.pending.isEmpty { state.draining = false }
                return state.pending.isEmpty
            }
            if idle { return }
            processLock?.lock()
            let batch: [any PendingWrite] = state.withLock { state in
                let batch = Array(state.pending.prefix(Self.maxBatchCount))
                state.pending.removeFirst(batch.count)
                return batch
            }
            commit(batch)
            processLock?.unlock()
        }
    }

    private func commit(_ batch: [any PendingWrite]) {
        let db = connection
        precondition(!db.isInTransaction, "transactions do not nest")
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            for write in batch { write.finish(failure: error) }
            return
        }
        var failures: [(any Error)?] = Array(repeating: nil, count: batch.count)
        for (index, write) in batch.enumerated() {
            do {
                try db.execute("SAVEPOINT batched_write")
                try write.perform(db)
                try db.execute("RELEASE batched_write")
            } catch {
                failures[index] = error
                guard db.isInTransaction else {
                    // SQLite rolled the whole transaction back (I/O error, full disk):
                    // every write of the batch is lost, the earlier ones too.
                    for write in batch { write.finish(failure: error) }
                    return
                }
                _ = try? db.execute("ROLLBACK TO batched_write")
                _ = try? db.execute("RELEASE batched_write")
            }
        }
        do {
            try db.execute("COMMIT")
        } catch {
            if db.isInTransaction { _ = try? db.execute("ROLLBACK") }
            for write in batch { write.finish(failure: error) }
            return
        }
        for (write, failure) in zip(batch, failures) {
            if let failure { write.finish(failure: failure) } else { write.finishCommitted() }
        }
    }
}

/// A write waiting for its batch: `perform` runs on the writer's queue, then exactly one
/// of the `finish` calls answers the caller.
private protocol PendingWrite: Sendable {
    func perform(_ db: any SQLConnection) throws
    func finishCommitted()
    func finish(failure: any Error)
}

private final class TypedPendingWrite<T: Sendable>: PendingWrite {
    let body: @Sendable (any SQLConnection) throws -> T
    let continuation: CheckedContinuation<T, any Error>
    // Set by `perform` and read by `finishCommitted`, both on the writer's serial queue.
    private let result = Mutex<T?>(nil)

    init(body: @escaping @Sendable (any SQLConnection) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func perform(_ db: any SQLConnection) throws {
        let value = try body(db)
        result.withLock { $0 = value }
    }

    func finishCommitted() {
        guard let value = result.withLock({ $0.take() }) else {
            preconditionFailure("a committed write has a result")
        }
        continuation.resume(returning: value)
    }

    func finish(failure: any Error) {
        continuation.resume(throwing: failure)
    }
}
