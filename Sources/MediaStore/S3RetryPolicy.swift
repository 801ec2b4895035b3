/// How often and how soon an S3 call is tried again after a transient failure (5xx,
/// `SlowDown`, a broken connection, a timeout): capped exponential backoff with jitter,
/// a bounded number of attempts. A 4xx is never retried. The sleep is injected so tests
/// count attempts without waiting.
public struct S3RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelayMilliseconds: Int64
    public var capDelayMilliseconds: Int64
    /// A number in 0.5…1 that scales each delay, so many clients do not retry in step.
    public var jitter: @Sendable () -> Double
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        maxAttempts: Int = 4,
        baseDelayMilliseconds: Int64 = 200,
        capDelayMilliseconds: Int64 = 5_000,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        precondition(maxAttempts >= 1 && baseDelayMilliseconds > 0 && capDelayMilliseconds >= baseDelayMilliseconds)
        self.maxAttempts = maxAttempts
        self.baseDelayMilliseconds = baseDelayMilliseconds
        self.capDelayMilliseconds = capDelayMilliseconds
        self.jitter = jitter
        self.sleep = sleep
    }

    /// The wait after `attempts` failed attempts: base × 2^(attempts-1), capped, jittered.
    public func delayMilliseconds(afterAttempts attempts: Int) -> Int64 {
        let exponential = min(capDelayMilliseconds, baseDelayMilliseconds << Int64(min(attempts - 1, 20)))
        return Int64((Double(exponential) * min(1, max(0.5, jitter()))).rounded())
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts run out.
    func run<T>(_ attempt: () async throws -> T) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await attempt()
            } catch let error as MediaStoreError where error.isTransient && attempts < maxAttempts {
                try await sleep(.milliseconds(delayMilliseconds(afterAttempts: attempts)))
            }
        }
    }
}
