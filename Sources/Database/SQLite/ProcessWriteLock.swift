import Foundation

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

    /// Blocks until this connection holds the lock. A lock that cannot be taken (a
    /// file system without `flock`) is skipped: SQLite's busy handler still serializes.
    func lock() {
        while flock(descriptor, LOCK_EX) != 0, errno == EINTR {}
    }

    func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }
}
