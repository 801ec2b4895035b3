/// When a failed attempt runs again: exponential backoff with jitter, never sooner than
/// the provider's `Retry-After`, never later than the cap.
public struct RetryPolicy: Sendable {
    public var baseMilliseconds: Int64
    public var capMilliseconds: Int64
    /// A number in 0.5…1 that scales each delay, so retries of many jobs spread out.
    public var jitter: @Sendable () -> Double

    public init(
        baseMilliseconds: Int64 = 2_000,
        capMilliseconds: Int64 = 300_000,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1) }
    ) {
        precondition(baseMilliseconds > 0 && capMilliseconds >= baseMilliseconds, "backoff bounds")
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
        self.jitter = jitter
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failed ones.
    public func delayMilliseconds(afterAttempts attempts: Int, retryAfterMilliseconds: Int64? = nil) -> Int64 {
        precondition(attempts >= 1, "a delay follows a failed attempt")
        let exponent = min(attempts - 1, 30)
        let exponential = min(capMilliseconds, baseMilliseconds.multipliedReportingOverflow(by: 1 << exponent).partialValue)
        let factor = min(1, max(0.5, jitter()))
        let jittered = Int64((Double(exponential) * factor).rounded())
        let floor = min(capMilliseconds, max(0, retryAfterMilliseconds ?? 0))
        return max(jittered, floor)
    }
}
