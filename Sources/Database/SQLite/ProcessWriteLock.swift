import Foundation
import Synchronization

/// A lock file beside the database (`<file>-writelock`) that every writer connection
/// holds, with `flock`, from before its `BEGIN IMMEDIATE` until after its `COMMIT`.
///
/// SQLite hands its write lock between processes by polling: a waiting connection sleeps
/// in its busy handler and tries again, so with several worker processes the lock sits
/// free between a commit and the next try, and the tries cost CPU. A writer waiting on
/// `flock` sleeps in the kernel and is woken by the release, and meanwhile the writes of
/// its own process queue up to join its next batch (`GroupCommitWriter`). SQLite's own
/// locking still guards the file: a connection that does not take this lock (an older
/// build, the sqlite3 shell) is only slower, never unsafe.
final class ProcessWriteLock: Sendable {
    private let descriptor: Int32

    /// Opens (creating it when needed) the lock file of the database at `databasePath`;
    /// nil for an in-memory database, which no other process can open.
    init?(databasePath: String) {
        guard !databasePath.isEmpty, databasePath != ":memory:", !databasePath.hasPrefix("file:") else { return nil }
        let descriptor = open(databasePath + "-writelock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Blocks until this connection holds the lock, for at most `timeoutMilliseconds`
    /// (the connection's busy timeout): a writer of another process that holds it longer
    /// (stopped, or a test holding it on purpose) must not hang this one. On false the
    /// caller goes on without it, and SQLite's busy handler decides, as it always did. A
    /// lock that cannot be taken at all (a file system without `flock`) is skipped.
    func lock(timeoutMilliseconds: Int32) -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        guard errno == EWOULDBLOCK else { return false }
        // `flock` has no timeout: a thread of its own waits in the kernel, and this one
        // waits for it with one. A wait given up on releases the lock as soon as it gets it.
        let wait = AbandonableWait()
        let descriptor = descriptor
        let waiter = Thread {
            while flock(descriptor, LOCK_EX) != 0, errno == EINTR {}
            if !wait.deliver() { _ = flock(descriptor, LOCK_UN) }
        }
        waiter.start()
        return wait.receive(timeoutMilliseconds: Int(timeoutMilliseconds))
    }

    func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }
}

/// A lock taken on another thread, handed over once or, after the time limit, refused.
private final class AbandonableWait: Sendable {
    private enum State { case waiting, delivered, abandoned }
    private let state = Mutex(State.waiting)
    private let delivered = DispatchSemaphore(value: 0)

    /// From the waiting thread: false when the receiver gave up (release the lock).
    func deliver() -> Bool {
        let taken = state.withLock { state in
            guard state == .waiting else { return false }
            state = .delivered
            return true
        }
        if taken { delivered.signal() }
        return taken
    }

    /// True when the lock was handed over in time.
    func receive(timeoutMilliseconds: Int) -> Bool {
        if delivered.wait(timeout: .now() + .milliseconds(timeoutMilliseconds)) == .success { return true }
        return state.withLock { state in
            if state == .delivered { return true }
            state = .abandoned
            return false
        }
    }
}
