import Synchronization

/// Measures how long a job waits on its provider: the wall time during which at least
/// one provider call is in flight (calls that overlap count once). The rest of a job's
/// time is its own overhead — ffmpeg, files, bookkeeping — which the worker logs.
///
/// The worker binds one per job to `current`; calls made in that job's task tree record
/// into it, and calls made without one record nothing.
public final class ProviderWaitClock: Sendable {
    @TaskLocal public static var current: ProviderWaitClock?

    private struct State {
        var inFlight = 0
        var busySince = ContinuousClock.now
        var waited = Duration.zero
    }

    private let state = Mutex(State())

    public init() {}

    /// The time some call was in flight, so far.
    public var waited: Duration {
        self.state.withLock { state in
            state.inFlight > 0 ? state.waited + state.busySince.duration(to: .now) : state.waited
        }
    }

    /// Runs one provider call, counting its time.
    func measure<T>(_ call: () async throws(DubbingError) -> T) async throws(DubbingError) -> T {
        self.state.withLock { state in
            if state.inFlight == 0 { state.busySince = .now }
            state.inFlight += 1
        }
        defer {
            self.state.withLock { state in
                state.inFlight -= 1
                if state.inFlight == 0 { state.waited += state.busySince.duration(to: .now) }
            }
        }
        return try await call()
    }
}
