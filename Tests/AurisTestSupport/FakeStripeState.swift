import Synchronization

/// A misbehaviour of the fake Stripe's next checkout calls.
public enum FakeStripeFault: Sendable, Equatable {
    /// 500 `api_error`; like any result that reached Stripe's code, saved for its idempotency key.
    case serverError
    /// No answer until the server stops: the client must time out.
    case hang
    /// Answers normally after this delay.
    case delay(milliseconds: Int)
}

/// One request the fake received, for assertions.
public struct FakeStripeRequest: Sendable {
    public var path: String
    public var authorization: String?
    public var idempotencyKey: String?
    public var contentType: String?
    /// The body as sent, before any decoding.
    public var rawBody: String
    /// The body decoded as Stripe would; nil when it did not decode.
    public var form: FakeStripeFormValue?
    /// The status the fake answered (0 while a `hang` holds it).
    public var status: Int
}

/// A Checkout Session the fake created.
public struct FakeStripeSession: Sendable, Equatable {
    public var id: String
    public var url: String
    public var request: FakeStripeCheckoutRequest
    public var createdSeconds: Int64
}

/// The fake's records, fault schedule and idempotency store, shared by its handlers.
final class FakeStripeState: Sendable {
    /// Stripe's saved result for an idempotency key, or the marker of one in flight.
    enum SavedResult: Sendable {
        case inFlight(FakeStripeFormValue)
        case done(FakeStripeFormValue, status: Int, body: String)
    }

    private struct State {
        var requests: [FakeStripeRequest] = []
        var sessions: [String: FakeStripeSession] = [:]
        var faults: [FakeStripeFault] = []
        var idempotency: [String: SavedResult] = [:]
    }

    private let state = Mutex(State())

    /// Records a request and returns its index, with the fault scheduled for it.
    func arrive(_ request: FakeStripeRequest) -> (index: Int, fault: FakeStripeFault?) {
        state.withLock { state in
            state.requests.append(request)
            let fault = state.faults.isEmpty ? nil : state.faults.removeFirst()
            return (state.requests.count - 1, fault)
        }
    }

    func answered(_ index: Int, status: Int) {
        state.withLock { $0.requests[index].status = status }
    }

    /// Claims an idempotency key: nil when it is new (now in flight), else what Stripe has saved.
    func claim(key: String, form: FakeStripeFormValue) -> SavedResult? {
        state.withLock { state in
            if let saved = state.idempotency[key] { return saved }
            state.idempotency[key] = .inFlight(form)
            return nil
        }
    }

    func save(key: String, form: FakeStripeFormValue, status: Int, body: String) {
        state.withLock { $0.idempotency[key] = .done(form, status: status, body: body) }
    }

    /// Validation failures and dropped requests are not saved by Stripe: the key is free again.
    func release(key: String) {
        state.withLock { state in
            if case .inFlight = state.idempotency[key] { state.idempotency[key] = nil }
        }
    }

    func add(_ session: FakeStripeSession) {
        state.withLock { $0.sessions[session.id] = session }
    }

    func inject(_ fault: FakeStripeFault, count: Int) {
        state.withLock { $0.faults += Array(repeating: fault, count: count) }
    }

    var requests: [FakeStripeRequest] { state.withLock { $0.requests } }
    var sessions: [String: FakeStripeSession] { state.withLock { $0.sessions } }
}
