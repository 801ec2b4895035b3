import Synchronization

/// Keeps one process's OpenAI calls within the provider's request limits, per endpoint
/// (`audio/speech`, `audio/transcriptions`, `chat/completions`), for every job of the
/// process at once (docs/ARCHITECTURE.md, "Provider concurrency").
///
/// Every answer's `x-ratelimit-limit-requests`, `-remaining-requests` and
/// `-reset-requests` say how many calls the provider still takes and how fast its
/// allowance refills; a call starts only when the estimate says one is left: the newest
/// answer's `remaining`, less the calls sent after that answer's call, plus the refill
/// since it was sent. A 429 pauses the endpoint for exactly its `Retry-After`, then lets
/// one call through until an answer succeeds, so a pause ends without a second burst.
/// Until the first answer of an endpoint nothing is known, so one call goes first.
final class OpenAIRateLimiter: Sendable {
    /// One call admitted by `admit`; hand it back to `record` with the answer.
    struct Ticket: Sendable {
        let endpoint: String
        let sequence: Int
        let sentAt: ContinuousClock.Instant
    }

    private struct Endpoint {
        var limit: Int?
        var remaining = 0
        var refillPerSecond: Double?
        var resetAt: ContinuousClock.Instant?
        /// The call whose answer `remaining` came from, and when it was sent.
        var headerSequence = -1
        var headerSentAt = ContinuousClock.now
        var nextSequence = 0
        /// Calls sent and not yet answered, by sequence number.
        var inFlight: Set<Int> = []
        var answered = false
        var pausedUntil: ContinuousClock.Instant?
        /// After a 429: one call at a time until one succeeds.
        var probing = false

        /// How long to wait before another call may start; `nil`: now.
        func wait(at now: ContinuousClock.Instant) -> Duration? {
            if let pausedUntil, now < pausedUntil { return now.duration(to: pausedUntil) }
            if (!self.answered || self.probing) && !self.inFlight.isEmpty { return OpenAIRateLimiter.answerPoll }
            guard let limit else { return nil }
            // Calls sent after the newest answer's call are not in its `remaining`; nor,
            // perhaps, calls sent before it and still unanswered (a connection may have
            // delayed them past it), so those count as taken too.
            let startedSince = self.nextSequence - 1 - self.headerSequence
                + self.inFlight.count { $0 < self.headerSequence }
            if self.remaining - startedSince >= 1 { return nil }
            if let refillPerSecond {
                // The refill counts from when the provider counted the newest answer's call,
                // which is after it was sent (a busy machine, a connection): taken to be
                // `countingDelay` after.
                let needed = Double(1 - (self.remaining - startedSince))
                let counted = self.headerSentAt + OpenAIRateLimiter.countingDelay
                let refilled = refillPerSecond * max(0, counted.duration(to: now).inSeconds)
                return refilled >= needed ? nil : .seconds((needed - refilled) / refillPerSecond)
            }
            // No refill rate known yet: the allowance is whole again at the reset, less the
            // calls sent since; past that, wait for the next answer.
            let resetAt = self.resetAt ?? self.headerSentAt + OpenAIRateLimiter.unknownResetWait
            if now < resetAt { return now.duration(to: resetAt) }
            return limit - startedSince >= 1 ? nil : OpenAIRateLimiter.answerPoll
        }
    }

    /// How long after a call is sent the provider is taken to count it.
    static let countingDelay = Duration.milliseconds(150)
    /// How often a call waiting for an endpoint's first answer (or a probe's) looks again.
    static let answerPoll = Duration.milliseconds(20)
    /// When the allowance is taken to be whole again if the provider says nothing is left
    /// but not when it resets.
    static let unknownResetWait = Duration.seconds(1)

    private enum Decision {
        case go(Ticket)
        case wait(Duration)
    }

    private let endpoints = Mutex<[String: Endpoint]>([:])

    init() {}

    /// Waits until `endpoint` may take another call, then counts it as sent.
    /// - Throws: `canceled` when the task is cancelled while waiting.
    func admit(_ endpoint: String) async throws(DubbingError) -> Ticket {
        while true {
            let now = ContinuousClock.now
            let decision: Decision = self.endpoints.withLock { endpoints in
                var state = endpoints[endpoint] ?? Endpoint()
                if let wait = state.wait(at: now) { return .wait(wait) }
                let ticket = Ticket(endpoint: endpoint, sequence: state.nextSequence, sentAt: now)
                state.nextSequence += 1
                state.inFlight.insert(ticket.sequence)
                endpoints[endpoint] = state
                return .go(ticket)
            }
            switch decision {
            case .go(let ticket): return ticket
            case .wait(let wait):
                do { try await Task.sleep(for: wait) } catch { throw .canceled }
            }
        }
    }

    /// Records how a call ended: its answer's status and headers (`nil` without an answer),
    /// and for a 429 of the rate limit, how long the provider asks to wait.
    func record(
        _ ticket: Ticket, status: Int?, header: (String) -> String?, rateLimitedFor retryAfterSeconds: Double? = nil
    ) {
        let now = ContinuousClock.now
        self.endpoints.withLock { endpoints in
            var state = endpoints[ticket.endpoint] ?? Endpoint()
            state.inFlight.remove(ticket.sequence)
            if status != nil { state.answered = true }
            if let status, (200..<300).contains(status) { state.probing = false }
            if let retryAfterSeconds {
                let until = now + .seconds(retryAfterSeconds)
                state.pausedUntil = max(state.pausedUntil ?? until, until)
                state.probing = true
            }
            if status != nil, ticket.sequence > state.headerSequence,
               let limit = header("x-ratelimit-limit-requests").flatMap({ Int($0) }),
               let remaining = header("x-ratelimit-remaining-requests").flatMap({ Int($0) })
            {
                if limit != state.limit { state.refillPerSecond = nil }
                state.limit = limit
                state.remaining = remaining
                state.headerSequence = ticket.sequence
                state.headerSentAt = ticket.sentAt
                if let reset = header("x-ratelimit-reset-requests").flatMap(Self.seconds) {
                    state.resetAt = now + .seconds(reset)
                    // The allowance refills evenly: what is missing comes back by the reset. Up to
                    // one call more than `limit - remaining` may be missing (a fraction of a call
                    // refilled), so this is a lower bound; the highest one seen is the best.
                    if reset > 0, remaining + 1 < limit {
                        state.refillPerSecond = max(state.refillPerSecond ?? 0, Double(limit - remaining - 1) / reset)
                    }
                }
            }
            endpoints[ticket.endpoint] = state
        }
    }

    /// OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`; `nil` when unreadable.
    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3_600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingWhitespace())
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return total
    }
}
