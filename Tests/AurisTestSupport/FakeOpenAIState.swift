import Synchronization

/// The fake server's counters and fault schedule, shared by its request handlers.
final class FakeOpenAIState: Sendable {
    private struct State {
        var calls: [FakeOpenAIEndpoint: Int] = [:]
        var answered: [FakeOpenAIEndpoint: [String: Int]] = [:]
        /// Faults by endpoint and call number (1-based, in order of arrival).
        var faults: [FakeOpenAIEndpoint: [Int: FakeOpenAIFault]] = [:]
        var latencyMilliseconds: [FakeOpenAIEndpoint: Int] = [:]
        var buckets: [FakeOpenAIEndpoint: FakeOpenAIBucket] = [:]
        var inFlight: [FakeOpenAIEndpoint: Int] = [:]
        var maxInFlight: [FakeOpenAIEndpoint: Int] = [:]
        var rateLimited: [FakeOpenAIEndpoint: Int] = [:]
    }

    private let state = Mutex(State())

    /// Counts a call and returns the fault scheduled for it, if any, and the standing latency.
    func arrive(_ endpoint: FakeOpenAIEndpoint) -> (fault: FakeOpenAIFault?, latencyMilliseconds: Int) {
        self.state.withLock { state in
            let number = state.calls[endpoint, default: 0] + 1
            state.calls[endpoint] = number
            let fault = state.faults[endpoint]?.removeValue(forKey: number)
            return (fault, state.latencyMilliseconds[endpoint] ?? 0)
        }
    }

    /// Checks a call against the endpoint's rate limit (none: `nil`) and counts it in
    /// flight when admitted; an admitted call must `leave` when answered.
    func admit(_ endpoint: FakeOpenAIEndpoint, limit: FakeOpenAIRateLimit?) -> FakeOpenAIRateDecision? {
        self.state.withLock { state in
            let now = ContinuousClock.now
            var decision: FakeOpenAIRateDecision?
            if let limit {
                var bucket = state.buckets[endpoint] ?? FakeOpenAIBucket(tokens: Double(limit.requests), updatedAt: now)
                decision = bucket.arrive(limit, now: now)
                state.buckets[endpoint] = bucket
                if decision?.admitted == false {
                    state.rateLimited[endpoint, default: 0] += 1
                    return decision
                }
            }
            let inFlight = state.inFlight[endpoint, default: 0] + 1
            state.inFlight[endpoint] = inFlight
            state.maxInFlight[endpoint] = max(state.maxInFlight[endpoint] ?? 0, inFlight)
            return decision
        }
    }

    func leave(_ endpoint: FakeOpenAIEndpoint) {
        self.state.withLock { $0.inFlight[endpoint, default: 1] -= 1 }
    }

    func recordAnswer(_ endpoint: FakeOpenAIEndpoint, input: String) {
        self.state.withLock { $0.answered[endpoint, default: [:]][input, default: 0] += 1 }
    }

    func inject(_ fault: FakeOpenAIFault, on endpoint: FakeOpenAIEndpoint, count: Int, afterCalls: Int) {
        precondition(count >= 0 && afterCalls >= 0)
        self.state.withLock { state in
            let next = state.calls[endpoint, default: 0] + afterCalls + 1
            for number in next..<(next + count) { state.faults[endpoint, default: [:]][number] = fault }
        }
    }

    func setLatency(_ milliseconds: Int, for endpoint: FakeOpenAIEndpoint) {
        self.state.withLock { $0.latencyMilliseconds[endpoint] = milliseconds }
    }

    func stats() -> FakeOpenAIStats {
        self.state.withLock { state in
            FakeOpenAIStats(
                calls: Dictionary(uniqueKeysWithValues: state.calls.map { ($0.key.rawValue, $0.value) }),
                answered: Dictionary(uniqueKeysWithValues: state.answered.map { ($0.key.rawValue, $0.value.values.reduce(0, +)) }),
                answeredByInput: Dictionary(uniqueKeysWithValues: state.answered.map { ($0.key.rawValue, $0.value) }),
                maxInFlight: Dictionary(uniqueKeysWithValues: state.maxInFlight.map { ($0.key.rawValue, $0.value) }),
                rateLimited: Dictionary(uniqueKeysWithValues: state.rateLimited.map { ($0.key.rawValue, $0.value) })
            )
        }
    }

    func reset() {
        // Calls in flight stay counted: they still leave.
        self.state.withLock { $0 = State(inFlight: $0.inFlight) }
    }
}
