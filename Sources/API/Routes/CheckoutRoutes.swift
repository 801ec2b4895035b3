import Hummingbird

/// `POST /api/checkout` and `POST /api/stripe/webhook`. Without Stripe keys configured,
/// payments are off and both say so.
struct CheckoutRoutes: Sendable {
    func checkout(_ request: Request, context: AurisRequestContext) async throws -> Response {
        _ = try context.requireAccount()
        throw Self.disabled
    }

    func webhook(_ request: Request, context: AurisRequestContext) async throws -> Response {
        throw Self.disabled
    }

    static let disabled = APIError(
        .serviceUnavailable, "payments_disabled", "payments are not configured on this server (STRIPE_SECRET_KEY is not set)")
}
