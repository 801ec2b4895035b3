import Database
import Synchronization

/// Remembers when the database last took a write, so readiness probes check writability
/// at most once per interval instead of taking the write lock on every call.
final class RecentWriteCheck: Sendable {
    static let intervalMilliseconds: Int64 = 10_000
    private let lastSuccessMilliseconds = Mutex<Int64?>(nil)
    private let clock: any WallClock

    init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    /// Returns at once when a write succeeded within the interval; else writes now.
    /// - Throws: the database's error when it does not take the write.
    func ensureWritable(_ database: any SQLDatabase) async throws {
        let now = clock.nowMilliseconds
        if let last = lastSuccessMilliseconds.withLock({ $0 }), now - last < Self.intervalMilliseconds { return }
        try await database.write { db in _ = try db.execute("SELECT 1") }
        lastSuccessMilliseconds.withLock { $0 = now }
    }
}
