public import Database
import Synchronization

/// A clock that moves only when a test moves it.
public final class ManualClock: WallClock {
    private let milliseconds: Mutex<Int64>

    public init(nowMilliseconds: Int64 = 1_764_000_000_000) {
        milliseconds = Mutex(nowMilliseconds)
    }

    public var nowMilliseconds: Int64 { milliseconds.withLock { $0 } }

    public func advance(byMilliseconds delta: Int64) {
        precondition(delta >= 0, "time only moves forward")
        milliseconds.withLock { $0 += delta }
    }
}
