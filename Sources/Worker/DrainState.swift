import Synchronization

/// Whether the worker is shutting down, and until when running jobs may still finish.
final class DrainState: Sendable {
    private let deadline = Mutex<ContinuousClock.Instant?>(nil)

    var isDraining: Bool { deadline.withLock { $0 != nil } }
    var graceDeadline: ContinuousClock.Instant? { deadline.withLock { $0 } }

    /// Starts draining; a second call keeps the first deadline.
    func begin(graceMilliseconds: Int64) {
        deadline.withLock { deadline in
            if deadline == nil { deadline = .now + .milliseconds(graceMilliseconds) }
        }
    }
}
