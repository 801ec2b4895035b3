import Billing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/checkout` and `POST /api/stripe/webhook`. Without `STRIPE_SECRET_KEY`
/// payments are off (`payments` is nil) and both answer 503 `payments_disabled`.
struct CheckoutRoutes: Sendable {
    /// Stripe's events are a few KiB; anything much larger is not from Stripe.
    static let maxWebhookBodyBytes = 256 * 1_024
    /// A client's `Idempotency-Key`, as long as Stripe's own limit allows.
    static let maxIdempotencyKeyBytes = 255

    let payments: Payments?

    func checkout(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let payments else { throw Self.disabled }
        struct Body: Decodable { var plan: String }
        let bytes = try await Self.collect(request, limitBytes: context.maxUploadSize)
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView)) else {
            throw APIError.invalidRequest(#"the body must be JSON: {"plan": "starter" | "pro" | "premium"}"#)
        }
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.utf8.count > Self.maxIdempotencyKeyBytes {
            throw APIError.invalidRequest("Idempotency-Key must be 1 to \(Self.maxIdempotencyKeyBytes) bytes")
        }
        do {
            let started = try await payments.createCheckout(account: account, plan: body.plan, idempotencyKey: idempotencyKey)
            return try JSONResponse.make(["ok": .bool(true), "url": .string(started.url), "session_id": .string(started.sessionID)])
        } catch let error as PaymentsError {
            throw APIError(payments: error)
        }
    }

    /// Reads the raw body before anything else: the signature covers its exact bytes, so
    /// it must not be decoded and re-encoded first.
    func webhook(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard let payments else { throw Self.disabled }
        let buffer = try await Self.collect(request, limitBytes: Self.maxWebhookBodyBytes)
        do {
            let outcome = try await payments.handleWebhook(
                rawBody: Array(buffer.readableBytesView), signatureHeader: request.headers[HTTPField.Name("Stripe-Signature")!])
            return try JSONResponse.make(["ok": .bool(true), "outcome": .string(outcome.rawValue)])
        } catch let error as PaymentsError {
            throw APIError(payments: error)
        }
    }

    /// The whole body, or 413 `payload_too_large` past the limit.
    private static func collect(_ request: Request, limitBytes: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limitBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limitBytes: Int64(limitBytes))
        }
    }

    static let disabled = APIError(
        .serviceUnavailable, "payments_disabled", "payments are not configured on this server (STRIPE_SECRET_KEY is not set)")
}

extension APIError {
    /// The answer for each payment failure: the client's mistakes are 4xx, Stripe's
    /// trouble 502, and a webhook without its secret is payments being off.
    init(payments error: PaymentsError) {
        switch error.code {
        case .unknownPlan: self.init(.badRequest, "unknown_plan", error.message)
        case .idempotencyConflict: self.init(.unprocessableContent, "idempotency_conflict", error.message)
        case .providerUnavailable: self.init(.badGateway, "payment_provider_unavailable", error.message)
        case .providerError: self.init(.badGateway, "payment_provider_error", error.message)
        case .webhookDisabled:
            self.init(.serviceUnavailable, "payments_disabled", "the Stripe webhook is not configured (STRIPE_WEBHOOK_SECRET is not set)")
        case .missingSignature, .invalidSignature, .staleSignature, .invalidEvent:
            self.init(.badRequest, error.code.description, error.message)
        default:
            self.init(.internalServerError, "internal_error", "something went wrong on our side; nothing was charged for it")
        }
    }
}
