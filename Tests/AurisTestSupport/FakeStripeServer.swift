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
    private let running = Mutex<(port: Int, task: Task<Void, Never>)?>(nil)

    public init(expectedSecretKey: String? = nil, hangSeconds: Double = 120, logger: Logger? = nil) {
        self.expectedSecretKey = expectedSecretKey
        self.hangSeconds = hangSeconds
        var quiet = Logger(label: "fake-stripe")
        // `stop()` cancels open connections, which Hummingbird reports as errors: not news in a test.
        quiet.logLevel = .critical
        self.logger = logger ?? quiet
    }

    /// Starts listening on 127.0.0.1 at a free port.
    @discardableResult
    public func start() async throws -> Int {
        precondition(running.withLock { $0 == nil }, "the fake Stripe is already running")
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "fake-stripe"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: logger)
        let task = Task { [logger] in
            do { try await app.run() } catch { logger.error("fake Stripe stopped", metadata: ["error": "\(error)"]) }
            portContinuation.finish()
        }
        guard let port = await ports.first(where: { _ in true }) else {
            task.cancel()
            throw FakeStripeStartError()
        }
        running.withLock { $0 = (port, task) }
        return port
    }

    /// Stops listening and ends requests held by `hang`; later requests are refused. Safe twice.
    public func stop() async {
        guard let running = running.withLock({ value in defer { value = nil }; return value }) else { return }
        running.task.cancel()
        await running.task.value
    }

    /// `http://127.0.0.1:<port>`, the value for `STRIPE_API_BASE`.
    public var baseURL: String {
        guard let port = running.withLock({ $0?.port }) else { preconditionFailure("start the fake Stripe first") }
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
