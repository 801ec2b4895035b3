import Billing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Payments

/// `POST /api/checkout` and `POST /api/stripe/webhook`. Without `STRIPE_SECRET_KEY`
/// payments are off (`payments` is nil) and both answer 503 `payments_disabled`.
struct CheckoutRoutes: Sendable {
    /// Stripe's events are a few KiB; anything much larger is not from Stripe.
    static let maxWebhookBodyBytes = 256 * 1_024

    let payments: Payments?

    func checkout(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let payments else { throw Self.disabled }
        struct Body: Decodable { var plan: String }
        let body = try await BodyReader.json(
            Body.self, of: request, limitBytes: context.maxUploadSize,
            shape: #"{"plan": "starter" | "pro" | "premium"}"#)
        let idempotencyKey = try IdempotencyKeyHeader.value(of: request)
        let started = try await payments.createCheckout(account: account, plan: body.plan, idempotencyKey: idempotencyKey)
        return try JSONResponse.make(["ok": .bool(true), "url": .string(started.url), "session_id": .string(started.sessionID)])
    }

    /// Reads the raw body before anything else: the signature covers its exact bytes, so
    /// it must not be decoded and re-encoded first.
    func webhook(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard let payments else { throw Self.disabled }
        let buffer = try await BodyReader.collect(request, limitBytes: Self.maxWebhookBodyBytes)
        let outcome = try await payments.handleWebhook(
            rawBody: Array(buffer.readableBytesView), signatureHeader: request.headers[HTTPField.Name("Stripe-Signature")!])
        return try JSONResponse.make(["ok": .bool(true), "outcome": .string(outcome.rawValue)])
    }

    static let disabled = APIError(
        .serviceUnavailable, "payments_disabled", "payments are not configured on this server (STRIPE_SECRET_KEY is not set)")
}
