import Foundation
import Hummingbird
public import Logging
import Synchronization

/// Stripe's Checkout API on 127.0.0.1 for tests: `POST /v1/checkout/sessions` decoded from
/// Stripe's bracket form encoding and validated as Stripe does, `Bearer sk_test_…`
/// authentication, `Idempotency-Key` replay, Stripe's error JSON, fault injection, and a
/// record of every request.
///
/// ```swift
/// let stripe = FakeStripeServer()
/// try await stripe.start()                       // STRIPE_API_BASE = stripe.baseURL
/// stripe.inject(.serverError)                    // the next call answers 500
/// let session = stripe.sessions.values.first!    // what a checkout created
/// let delivery = FakeStripeWebhook.delivery(type: "checkout.session.completed", session: session,
///                                           secret: "whsec_test", timestampSeconds: now)
/// await stripe.stop()                            // later calls: connection refused
/// ```
public final class FakeStripeServer: Sendable {
    /// The key a client must send; nil accepts any `sk_test_…` key.
    public let expectedSecretKey: String?
    /// How long a `hang` holds a request (stopping the server ends it sooner).
    public let hangSeconds: Double
    let state = FakeStripeState()
    let logger: Logger
    let runner = FakeServerRunner()

    public init(expectedSecretKey: String? = nil, hangSeconds: Double = 120, logger: Logger? = nil) {
        self.expectedSecretKey = expectedSecretKey
        self.hangSeconds = hangSeconds
        var quiet = Logger(label: "fake-stripe")
        // Connections a client drops mid-request are reported as errors: not news in a test.
        quiet.logLevel = .critical
        self.logger = logger ?? quiet
    }

    /// Starts listening on 127.0.0.1 at a free port.
    @discardableResult
    public func start() async throws -> Int {
        guard let port = await runner.start(router: makeRouter(), port: 0, serverName: "fake-stripe", logger: logger) else {
            throw FakeStripeStartError()
        }
        return port
    }

    /// Stops listening and answers requests held by `hang` at once; later requests are refused. Safe twice.
    public func stop() async {
        await runner.stop()
    }

    /// `http://127.0.0.1:<port>`, the value for `STRIPE_API_BASE`.
    public var baseURL: String {
        guard let port = runner.port else { preconditionFailure("start the fake Stripe first") }
        return "http://127.0.0.1:\(port)"
    }

    /// Makes the next `count` checkout calls misbehave.
    public func inject(_ fault: FakeStripeFault, count: Int = 1) {
        precondition(count >= 0, "a count is never negative")
        state.inject(fault, count: count)
    }

    /// Every request so far, in order of arrival.
    public var requests: [FakeStripeRequest] { state.requests }

    /// The Checkout Sessions created so far, by id.
    public var sessions: [String: FakeStripeSession] { state.sessions }
}

public struct FakeStripeStartError: Error, CustomStringConvertible {
    public var description: String { "the fake Stripe could not listen on 127.0.0.1" }
}
