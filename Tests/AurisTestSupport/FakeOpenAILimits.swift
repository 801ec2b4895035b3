import Foundation

/// How long the fake takes to answer a call that does some work: `baseMilliseconds`
/// plus `millisecondsPerUnit` per unit — a second of uploaded audio for a transcription,
/// a character of input for speech and chat — as the real API's time grows with both.
public struct FakeOpenAILatency: Sendable, Codable, Equatable {
    public var baseMilliseconds: Double
    public var millisecondsPerUnit: Double

    public init(baseMilliseconds: Double, millisecondsPerUnit: Double) {
        self.baseMilliseconds = baseMilliseconds
        self.millisecondsPerUnit = millisecondsPerUnit
    }

    func milliseconds(units: Double) -> Int {
        Int((self.baseMilliseconds + self.millisecondsPerUnit * units).rounded())
    }

    /// `BASE+PER_UNIT` in milliseconds, e.g. `500+40`.
    public init?(argument: String) {
        let parts = argument.split(separator: "+")
        guard parts.count == 2, let base = Double(parts[0]), let perUnit = Double(parts[1]), base >= 0, perUnit >= 0 else { return nil }
        self.init(baseMilliseconds: base, millisecondsPerUnit: perUnit)
    }
}

/// A request limit per endpoint as OpenAI applies one: `requests` per `windowSeconds`,
/// refilled evenly (a bucket of `requests` calls that refills in `windowSeconds`). Every
/// answer of the endpoint carries `x-ratelimit-limit-requests`, `-remaining-requests` and
/// `-reset-requests` (the time until the bucket is full, written `1m2.5s`); a call finding
/// it empty gets 429 `rate_limit_exceeded` with `retry-after-ms` (exact) and
/// `Retry-After` (whole seconds, rounded up) saying when one call is back.
public struct FakeOpenAIRateLimit: Sendable, Codable, Equatable {
    public var requests: Int
    public var windowSeconds: Double

    public init(requests: Int, windowSeconds: Double = 60) {
        precondition(requests >= 1 && windowSeconds > 0)
        self.requests = requests
        self.windowSeconds = windowSeconds
    }

    /// `REQUESTS/WINDOW_SECONDS`, e.g. `120/60`.
    public init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let requests = Int(parts[0]), let window = Double(parts[1]), requests >= 1, window > 0 else { return nil }
        self.init(requests: requests, windowSeconds: window)
    }

    var refillPerSecond: Double { Double(self.requests) / self.windowSeconds }
}

/// One endpoint's bucket: how many calls are left, as of when.
struct FakeOpenAIBucket {
    var tokens: Double
    var updatedAt: ContinuousClock.Instant

    /// What a call arriving `now` finds; it takes one call when one is left.
    mutating func arrive(_ limit: FakeOpenAIRateLimit, now: ContinuousClock.Instant) -> FakeOpenAIRateDecision {
        let elapsed = self.updatedAt.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        self.tokens = min(Double(limit.requests), self.tokens + seconds * limit.refillPerSecond)
        self.updatedAt = now
        let admitted = self.tokens >= 1
        if admitted { self.tokens -= 1 }
        return FakeOpenAIRateDecision(
            admitted: admitted, limit: limit.requests, remaining: Int(self.tokens.rounded(.down)),
            resetSeconds: (Double(limit.requests) - self.tokens) / limit.refillPerSecond,
            retryAfterSeconds: admitted ? 0 : (1 - self.tokens) / limit.refillPerSecond)
    }
}

struct FakeOpenAIRateDecision {
    var admitted: Bool
    var limit: Int
    var remaining: Int
    var resetSeconds: Double
    var retryAfterSeconds: Double

    /// The `x-ratelimit-*-requests` headers, as OpenAI writes them.
    var headers: [(String, String)] {
        [
            ("x-ratelimit-limit-requests", "\(self.limit)"),
            ("x-ratelimit-remaining-requests", "\(self.remaining)"),
            ("x-ratelimit-reset-requests", Self.duration(self.resetSeconds)),
        ]
    }

    /// `20ms`, `1.5s`, `2m3.25s`: Go's duration format, which OpenAI's headers use.
    static func duration(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1_000).rounded(.up))
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        let minutes = milliseconds / 60_000
        let rest = String(format: "%.3f", Double(milliseconds % 60_000) / 1_000)
        return minutes > 0 ? "\(minutes)m\(rest)s" : "\(rest)s"
    }
}
