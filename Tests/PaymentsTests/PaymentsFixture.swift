import API
import AurisTestSupport
import Billing
import Payments
import Database
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A database, a fake Stripe, a user with an API key, and the API wired to `Payments`.
struct PaymentsFixture: Sendable {
    static let secretKey = "sk_test_auris_51Hq4242"
    static let webhookSecret = "whsec_test_current_2c9f"
    static let publicURL = "https://auris.example"
    static let signupCredits: Int64 = 10

    let store: TestStore
    let stripe: FakeStripeServer
    let payments: Payments?
    let user: Accounts.Created

    /// - Parameters:
    ///   - secretKey: nil leaves payments disabled, as without `STRIPE_SECRET_KEY`.
    ///   - webhookSecret: nil leaves the webhook disabled.
    static func make(
        secretKey: String? = Self.secretKey, webhookSecret: String? = Self.webhookSecret, publicURL: String = Self.publicURL,
        requestTimeoutSeconds: Double = 10
    ) async throws -> PaymentsFixture {
        let store = try await TestStore.make("auris-payments")
        let stripe = FakeStripeServer(expectedSecretKey: Self.secretKey)
        try await stripe.start()
        var payments: Payments?
        if let secretKey {
            var configuration = Payments.Configuration(
                secretKey: secretKey, webhookSecret: webhookSecret, apiBaseURL: stripe.baseURL, publicURL: publicURL)
            configuration.requestTimeoutSeconds = requestTimeoutSeconds
            payments = Payments(configuration: configuration, database: store.database, clock: store.clock, logger: quietLogger)
        }
        let user = try await store.accounts.create(name: "Ada", signupCredits: signupCredits)
        return PaymentsFixture(store: store, stripe: stripe, payments: payments, user: user)
    }

    /// Runs `body` with a fresh fixture and closes it however `body` ends.
    static func with<T>(
        secretKey: String? = Self.secretKey, webhookSecret: String? = Self.webhookSecret, publicURL: String = Self.publicURL,
        requestTimeoutSeconds: Double = 10, _ body: (PaymentsFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await make(
            secretKey: secretKey, webhookSecret: webhookSecret, publicURL: publicURL, requestTimeoutSeconds: requestTimeoutSeconds)
        do {
            let value = try await body(fixture)
            await fixture.close()
            return value
        } catch {
            await fixture.close()
            throw error
        }
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "payments-tests")
        logger.logLevel = .critical
        return logger
    }()

    func close() async {
        await stripe.stop()
        store.directory.remove()
    }

    func application() throws -> some ApplicationProtocol {
        let engine = try EngineConfiguration(environment: [:]).makeEngine()
        let router = AurisAPI.router(
            configuration: APIConfiguration(dataDirectory: store.directory.path), database: store.database,
            engine: engine, clock: store.clock, payments: payments)
        return Application(router: router, logger: Self.quietLogger)
    }

    var nowSeconds: Int64 { store.clock.nowMilliseconds / 1_000 }

    /// A signed event about `sessionID`, with the session's details when the fake made it.
    func delivery(
        _ type: String = "checkout.session.completed", sessionID: String, paymentStatus: String = "paid",
        eventID: String? = nil, secrets: [String] = [Self.webhookSecret], timestampSeconds: Int64? = nil
    ) -> FakeStripeWebhookDelivery {
        FakeStripeWebhook.delivery(
            type: type, sessionID: sessionID, session: stripe.sessions[sessionID], paymentStatus: paymentStatus,
            eventID: eventID ?? "evt_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: ""),
            secrets: secrets, timestampSeconds: timestampSeconds ?? nowSeconds)
    }

    /// The user's available credits, as the ledger has them.
    func available() async throws -> Int64 {
        try await store.accounts.balance(of: user.id).available
    }

    /// `(status, credits)` of a recorded checkout session.
    func session(_ id: String) async throws -> (status: String, credits: Int64, planID: String, accountID: Int64)? {
        try await store.database.read { db in
            try db.queryFirst("SELECT status, credits, plan_id, account_id FROM checkout_sessions WHERE id = ?", id) { row in
                (status: row[0] as String, credits: row[1] as Int64, planID: row[2] as String, accountID: row[3] as Int64)
            }
        }
    }

    /// Every recorded Stripe event id with its outcome.
    func recordedEvents() async throws -> [String: String] {
        let rows = try await store.database.read { db in
            try db.query("SELECT id, outcome FROM stripe_events") { row in (row[0] as String, row[1] as String) }
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// The number of purchase grants in the ledger.
    func purchaseGrantCount() async throws -> Int64 {
        try await store.database.read { db in
            try db.queryFirst("SELECT count(*) FROM ledger_transfers WHERE reason = 'purchase'") { row in row[0] as Int64 } ?? 0
        }
    }
}

extension TestClientProtocol {
    /// `POST /api/checkout {"plan": plan}` as `apiKey`.
    func checkout(plan: String, apiKey: String?, idempotencyKey: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        let body = try JSONSerialization.data(withJSONObject: ["plan": plan])
        return try await execute(uri: "/api/checkout", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// `POST /api/stripe/webhook` with the delivery's exact bytes and header.
    func deliver(_ delivery: FakeStripeWebhookDelivery, header: String?? = .none) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let value = header ?? delivery.signatureHeader { headers[HTTPField.Name("Stripe-Signature")!] = value }
        return try await execute(uri: "/api/stripe/webhook", method: .post, headers: headers, body: ByteBuffer(bytes: delivery.body))
    }
}

extension TestResponse {
    /// The JSON body as a dictionary (empty when it is not JSON).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// `error.code` of the API's error shape.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
}

extension TestClientProtocol {
    /// Starts a checkout through the API and returns Stripe's session id.
    func startCheckout(plan: String, fixture: PaymentsFixture) async throws -> String {
        let response = try await checkout(plan: plan, apiKey: fixture.user.apiKey)
        try #require(response.status == .ok)
        return try #require(response.json["session_id"] as? String)
    }

    /// `GET /api/credits` as the fixture's user.
    func credits(_ fixture: PaymentsFixture) async throws -> [String: Any] {
        let response = try await execute(uri: "/api/credits", method: .get, headers: [.authorization: "Bearer \(fixture.user.apiKey)"])
        try #require(response.status == .ok)
        return response.json
    }
}
