public import Billing
import Crypto
public import Database
import Foundation
public import Logging

/// Buying credits through Stripe Checkout: start a checkout for a plan, and grant the
/// plan's credits when Stripe's signed webhook says the session is paid — exactly once
/// per session, however many times and in whatever order Stripe delivers its events.
///
/// ```swift
/// let payments = Payments(configuration: configuration, database: database, logger: logger)
/// let started = try await payments.createCheckout(account: user, plan: "pro")
/// // redirect the buyer to started.url; later Stripe calls the webhook:
/// let outcome = try await payments.handleWebhook(rawBody: body, signatureHeader: header)  // .fulfilled
/// ```
public struct Payments: Sendable {
    /// Stripe keys and addresses. `description` never shows the secrets.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        /// `STRIPE_SECRET_KEY` (`sk_…`).
        public var secretKey: String
        /// `STRIPE_WEBHOOK_SECRET` (`whsec_…`); without it the webhook refuses every event.
        public var webhookSecret: String?
        /// `STRIPE_API_BASE`.
        public var apiBaseURL: String
        /// `AURIS_PUBLIC_URL`: where Checkout sends the buyer back.
        public var publicURL: String
        /// The longest a call to Stripe may take while the buyer waits.
        public var requestTimeoutSeconds: Double = 20
        /// How far a webhook signature's timestamp may be from now (Stripe's default).
        public var signatureToleranceSeconds: Int64 = 300

        public init(secretKey: String, webhookSecret: String?, apiBaseURL: String = "https://api.stripe.com", publicURL: String) {
            self.secretKey = secretKey
            self.webhookSecret = webhookSecret
            self.apiBaseURL = apiBaseURL
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }

        /// The configuration from `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and
        /// `STRIPE_API_BASE`, or nil (payments disabled) when there is no secret key.
        public init?(environment: [String: String], publicURL: String) {
            func value(_ name: String) -> String? {
                let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                return text.isEmpty ? nil : text
            }
            guard let secretKey = value("STRIPE_SECRET_KEY") else { return nil }
            self.init(
                secretKey: secretKey, webhookSecret: value("STRIPE_WEBHOOK_SECRET"),
                apiBaseURL: value("STRIPE_API_BASE") ?? "https://api.stripe.com", publicURL: publicURL)
        }

        public var description: String {
            "Payments.Configuration(api: \(apiBaseURL), public: \(publicURL), webhook secret: \(webhookSecret == nil ? "missing" : "set"))"
        }
        public var debugDescription: String { description }
    }

    /// Where to send the buyer, and the session Stripe created.
    public struct CheckoutStarted: Sendable, Equatable {
        public var url: String
        public var sessionID: String
    }

    let database: any SQLDatabase
    let clock: any WallClock
    let client: StripeClient
    let signature: WebhookSignature?
    let publicURL: String
    let logger: Logger

    public init(configuration: Configuration, database: any SQLDatabase, clock: any WallClock = SystemWallClock(), logger: Logger) {
        self.database = database
        self.clock = clock
        self.client = StripeClient(
            apiBaseURL: configuration.apiBaseURL, secretKey: configuration.secretKey,
            requestTimeoutSeconds: configuration.requestTimeoutSeconds, logger: logger)
        self.signature = configuration.webhookSecret.map {
            WebhookSignature(secret: $0, toleranceSeconds: configuration.signatureToleranceSeconds)
        }
        self.publicURL = configuration.publicURL
        self.logger = logger
    }

    /// Creates a Stripe Checkout Session for `plan` and records it as pending for
    /// `account`. What the session buys (credits, price) comes from `Plans` now, and is
    /// what the webhook will grant, whatever the event says.
    ///
    /// - Parameter idempotencyKey: the client's own key; the same key again (same
    ///   account and plan) returns the same session instead of a second one.
    /// - Throws: `PaymentsError` (`.unknownPlan`, `.webhookDisabled` when no payment could
    ///   be granted, `.providerUnavailable`, `.providerError`, `.idempotencyConflict`), or a
    ///   database error.
    public func createCheckout(account: AccountID, plan planID: String, idempotencyKey: String? = nil) async throws -> CheckoutStarted {
        guard let plan = Plans.plan(id: planID) else {
            throw PaymentsError(.unknownPlan, "no plan \"\(planID.prefix(40))\"; plans: \(Plans.all.map(\.id).joined(separator: ", "))")
        }
        // Without the webhook secret no payment could ever be granted: take no money.
        guard signature != nil else {
            throw PaymentsError(
                .webhookDisabled, "payments are off on this server: a payment could not be credited (STRIPE_WEBHOOK_SECRET is not set)")
        }
        let now = clock.nowMilliseconds
        let stripeKey = idempotencyKey.map { Self.stripeIdempotencyKey(account: account, clientKey: $0) }
            ?? RandomIdentifier.make(prefix: "auris-checkout", nowMilliseconds: now)
        let created = try await client.createCheckoutSession(checkoutForm(account: account, plan: plan), idempotencyKey: stripeKey)
        let recorded = try await database.write { db in
            try db.execute(
                """
                INSERT INTO checkout_sessions (id, account_id, plan_id, credits, amount_cents, currency, status, created_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (id) DO NOTHING
                """,
                created.id, account.rawValue, plan.id, plan.credits, plan.priceCents, plan.currency, now)
            return try db.queryFirst("SELECT account_id, plan_id FROM checkout_sessions WHERE id = ?", created.id) { row in
                (AccountID(rawValue: row["account_id"]), row["plan_id"] as String)
            }
        }
        // A replayed idempotency key gives back the first session; it must be this account's
        // purchase of this plan, or the buyer would pay for something else.
        guard let recorded, recorded.0 == account, recorded.1 == plan.id else {
            throw PaymentsError(.providerError, "the payment provider returned a session that belongs to another purchase")
        }
        logger.info("checkout started", metadata: [
            "account": "\(account)", "plan": "\(plan.id)", "session_id": "\(created.id)",
        ])
        return CheckoutStarted(url: created.url, sessionID: created.id)
    }

    /// The form Stripe takes for a one-off payment of `plan` (REFERENCE.md, Stripe).
    func checkoutForm(account: AccountID, plan: Plan) -> StripeForm {
        var form = StripeForm()
        form.append("mode", "payment")
        form.append("line_items[0][price_data][currency]", plan.currency)
        form.append("line_items[0][price_data][unit_amount]", String(plan.priceCents))
        form.append("line_items[0][price_data][product_data][name]", "Auris \(plan.name): \(plan.credits) credits")
        form.append("line_items[0][quantity]", "1")
        form.append("success_url", "\(publicURL)/?checkout=success&session_id={CHECKOUT_SESSION_ID}")
        form.append("cancel_url", "\(publicURL)/?checkout=cancel")
        form.append("client_reference_id", String(account.rawValue))
        form.append("metadata[account_id]", String(account.rawValue))
        form.append("metadata[plan]", plan.id)
        return form
    }

    /// Scoped by account so that two accounts' keys never meet at Stripe, and hashed so
    /// that any client string becomes a key within Stripe's 255 characters.
    static func stripeIdempotencyKey(account: AccountID, clientKey: String) -> String {
        let digest = SHA256.hash(data: Array(clientKey.utf8)).hexString
        return "auris-checkout-\(account.rawValue)-\(digest.prefix(40))"
    }
}
