/// Why a payment operation failed. Compare `code` with the static codes
/// (`error.code == .staleSignature`); new codes may be added, so switch with a default.
///
/// Messages are for people; they never contain a secret.
public struct PaymentsError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unknownPlan = "unknown_plan"
            case providerUnavailable = "payment_provider_unavailable"
            case providerError = "payment_provider_error"
            case idempotencyConflict = "idempotency_conflict"
            case webhookDisabled = "webhook_disabled"
            case missingSignature = "missing_signature"
            case invalidSignature = "invalid_signature"
            case staleSignature = "stale_signature"
            case invalidEvent = "invalid_event"
            case unknownPurchase = "unknown_purchase"
        }

        private let value: Value

        /// No plan has the id asked for.
        public static let unknownPlan = Code(value: .unknownPlan)
        /// Stripe could not be reached or did not answer in time.
        public static let providerUnavailable = Code(value: .providerUnavailable)
        /// Stripe answered with an error (or with something that is not a Checkout Session).
        public static let providerError = Code(value: .providerError)
        /// The same idempotency key was used before for a different request.
        public static let idempotencyConflict = Code(value: .idempotencyConflict)
        /// `STRIPE_WEBHOOK_SECRET` is not set, so no event can be trusted and no checkout
        /// is started (its payment could not be granted).
        public static let webhookDisabled = Code(value: .webhookDisabled)
        /// The webhook request has no `Stripe-Signature` header.
        public static let missingSignature = Code(value: .missingSignature)
        /// The header is malformed or none of its `v1` signatures matches the body.
        public static let invalidSignature = Code(value: .invalidSignature)
        /// The signature matches but its timestamp is outside the tolerance (a replay).
        public static let staleSignature = Code(value: .staleSignature)
        /// A signed event about a Checkout Session or payment Auris has no record of (yet):
        /// it is not remembered, so Stripe's next delivery is handled afresh.
        public static let unknownPurchase = Code(value: .unknownPurchase)
        /// A correctly signed body that is not a Stripe event.
        public static let invalidEvent = Code(value: .invalidEvent)

        /// The stable snake_case name, as the API answers it.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
