import Database
import Synchronization

/// Counts attempts per key (a client address, an email) in fixed windows and refuses
/// past `limit` in a window. Memory is bounded: at most `maxKeys` keys are kept, and when
/// full the expired windows go first, then the oldest.
final class AttemptLimiter: Sendable {
    private struct Window { var startMilliseconds: Int64; var count: Int }

    let limit: Int
    let windowMilliseconds: Int64
    let maxKeys: Int
    private let clock: any WallClock
    private let windows = Mutex<[String: Window]>([:])

    init(limit: Int, windowMilliseconds: Int64, maxKeys: Int = 10_000, clock: any WallClock) {
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
        self.maxKeys = maxKeys
        self.clock = clock
    }

    /// Counts one attempt for each key; false (and nothing counted) when any key is
    /// already at its limit.
    func allow(_ keys: [String]) -> Bool {
        let now = clock.nowMilliseconds
        return windows.withLock { windows in
            for key in keys {
                if let window = windows[key], now - window.startMilliseconds < windowMilliseconds, window.count >= limit {
                    return false
                }
            }
            for key in keys {
                if var window = windows[key], now - window.startMilliseconds < windowMilliseconds {
                    window.count += 1
                    windows[key] = window
                } else {
                    if windows[key] == nil, windows.count >= maxKeys { evict(&windows, now: now) }
                    windows[key] = Window(startMilliseconds: now, count: 1)
                }
            }
            return true
        }
    }

    /// A window's length in seconds, for `Retry-After`: no refused key waits longer.
    var retryAfterSeconds: Int64 { max(1, windowMilliseconds / 1_000) }

    private func evict(_ windows: inout [String: Window], now: Int64) {
        windows = windows.filter { now - $0.value.startMilliseconds < windowMilliseconds }
        while windows.count >= maxKeys, let oldest = windows.min(by: { $0.value.startMilliseconds < $1.value.startMilliseconds }) {
            windows[oldest.key] = nil
        }
    }
}
