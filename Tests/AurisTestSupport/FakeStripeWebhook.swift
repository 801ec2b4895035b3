import Crypto
import Foundation

/// One webhook request as Stripe would send it: the exact body bytes and their
/// `Stripe-Signature` header.
public struct FakeStripeWebhookDelivery: Sendable {
    public var eventID: String
    public var body: [UInt8]
    public var signatureHeader: String

    public init(eventID: String, body: [UInt8], signatureHeader: String) {
        self.eventID = eventID
        self.body = body
        self.signatureHeader = signatureHeader
    }
}

/// Builds Stripe events and signs them as Stripe does: `t=<unix>,v1=<hex>` with
/// HMAC-SHA256 over `"<t>.<body>"`, one `v1` per endpoint secret.
public enum FakeStripeWebhook {
    /// A signed event about a Checkout Session.
    /// - Parameters:
    ///   - type: e.g. `checkout.session.completed`.
    ///   - session: a session the fake created (its amounts and metadata go in the event).
    ///   - paymentStatus: `data.object.payment_status`.
    ///   - secrets: one `v1` signature per secret, in this order.
    ///   - timestampSeconds: the `t` of the signature (and the event's `created`).
    public static func delivery(
        type: String, sessionID: String, session: FakeStripeSession? = nil, paymentStatus: String = "paid",
        eventID: String = "evt_test_" + FakeStripeServer.randomAlphanumerics(24),
        secrets: [String], timestampSeconds: Int64
    ) -> FakeStripeWebhookDelivery {
        let body = eventBody(
            id: eventID, type: type, sessionID: sessionID, session: session, paymentStatus: paymentStatus,
            createdSeconds: timestampSeconds)
        return FakeStripeWebhookDelivery(
            eventID: eventID, body: body, signatureHeader: signatureHeader(body: body, secrets: secrets, timestampSeconds: timestampSeconds))
    }

    /// The JSON of a `checkout.session.*` event, shaped like Stripe's.
    public static func eventBody(
        id: String, type: String, sessionID: String, session: FakeStripeSession?, paymentStatus: String, createdSeconds: Int64
    ) -> [UInt8] {
        var object: [String: Any] = session.map {
            FakeStripeServer.sessionObject($0, paymentStatus: paymentStatus, status: "complete")
        } ?? [
            "id": sessionID, "object": "checkout.session", "payment_status": paymentStatus, "status": "complete",
            "payment_intent": paymentIntent(ofSession: sessionID),
        ]
        object["id"] = sessionID
        let event: [String: Any] = [
            "id": id, "object": "event", "api_version": "2024-06-20", "created": createdSeconds, "livemode": false,
            "pending_webhooks": 1, "type": type, "data": ["object": object],
            "request": ["id": NSNull(), "idempotency_key": NSNull()],
        ]
        return Array(FakeStripeServer.json(event).utf8)
    }

    /// The PaymentIntent the fake says paid a completed session: derived from its id, so a
    /// test can name it in a later refund or dispute.
    public static func paymentIntent(ofSession sessionID: String) -> String {
        "pi_" + sessionID.drop(while: { $0 != "_" }).dropFirst()
    }

    /// A `charge.refunded` (`amount_refunded` cumulative, as Stripe sends it) or
    /// `charge.dispute.created` event about the payment of `sessionID`, shaped like Stripe's.
    public static func reversalBody(
        id: String, type: String, sessionID: String, amountCents: Int64, amountRefundedCents: Int64, createdSeconds: Int64
    ) -> [UInt8] {
        let intent = paymentIntent(ofSession: sessionID)
        let object: [String: Any] = type == "charge.dispute.created"
            ? ["id": "dp_" + intent.dropFirst(3), "object": "dispute", "amount": amountCents, "charge": "ch_" + intent.dropFirst(3),
               "payment_intent": intent, "reason": "fraudulent", "status": "needs_response"]
            : ["id": "ch_" + intent.dropFirst(3), "object": "charge", "amount": amountCents, "amount_refunded": amountRefundedCents,
               "payment_intent": intent, "refunded": amountRefundedCents == amountCents, "paid": true]
        let event: [String: Any] = [
            "id": id, "object": "event", "api_version": "2024-06-20", "created": createdSeconds, "livemode": false,
            "pending_webhooks": 1, "type": type, "data": ["object": object],
            "request": ["id": NSNull(), "idempotency_key": NSNull()],
        ]
        return Array(FakeStripeServer.json(event).utf8)
    }

    /// `t=<timestamp>,v1=<hex>…` for `body`, one `v1` per secret.
    public static func signatureHeader(body: [UInt8], secrets: [String], timestampSeconds: Int64) -> String {
        let signed = Array("\(timestampSeconds).".utf8) + body
        let signatures = secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
            return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
        }
        return (["t=\(timestampSeconds)"] + signatures).joined(separator: ",")
    }
}
