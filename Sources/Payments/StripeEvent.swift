import Foundation

/// The fields of a Stripe event that fulfilment and reversals read. What a session buys
/// is never read from an event: Auris recorded it when it created the session. A
/// refund's amounts only say which share of that purchase goes back.
struct StripeEvent: Sendable, Equatable {
    /// Identifiers longer than this are not Stripe's and are refused.
    static let maxIdentifierBytes = 255

    var id: String
    var type: String
    /// `data.object.id`: for `checkout.session.*` events, the Checkout Session.
    var objectID: String?
    /// `data.object.payment_status`: `paid`, `unpaid` or `no_payment_required`.
    var paymentStatus: String?
    /// `data.object.payment_intent`: the payment a session, a charge or a dispute is about.
    var paymentIntent: String?
    /// `data.object.amount` and `amount_refunded` of a charge, in cents.
    var amountCents: Int64?
    var amountRefundedCents: Int64?

    /// The Checkout Session this event is about, for `checkout.session.*` events.
    var sessionID: String? { type.hasPrefix("checkout.session.") ? objectID : nil }

    /// Whether the event takes a paid purchase back: a refund (whole or partial) or a dispute.
    var reversesPayment: Bool { type == "charge.refunded" || type == "charge.dispute.created" }

    /// Whether the event says the session's money has arrived.
    var confirmsPayment: Bool {
        switch type {
        case "checkout.session.completed": paymentStatus == "paid"
        case "checkout.session.async_payment_succeeded": true
        default: false
        }
    }

    /// Decodes the body of a verified webhook request.
    /// - Throws: `PaymentsError.invalidEvent` when it is not a Stripe event.
    static func decode(_ body: [UInt8]) throws(PaymentsError) -> StripeEvent {
        struct Wire: Decodable {
            struct Payload: Decodable { var object: Object? }
            struct Object: Decodable {
                var id: String?
                var paymentStatus: String?
                var paymentIntent: String?
                var amount: Int64?
                var amountRefunded: Int64?
                enum CodingKeys: String, CodingKey {
                    case id, amount
                    case paymentStatus = "payment_status", paymentIntent = "payment_intent", amountRefunded = "amount_refunded"
                }
            }
            var id: String
            var type: String
            var data: Payload?
        }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(body)) else {
            throw PaymentsError(.invalidEvent, "the body is not a Stripe event (id, type, data.object)")
        }
        let object = wire.data?.object
        let event = StripeEvent(
            id: wire.id, type: wire.type, objectID: object?.id, paymentStatus: object?.paymentStatus,
            paymentIntent: object?.paymentIntent, amountCents: object?.amount, amountRefundedCents: object?.amountRefunded)
        for field in [event.id, event.type, event.objectID ?? "x", event.paymentIntent ?? "x"] {
            // Stripe's identifiers and event types are visible ASCII (docs/openapi.yaml).
            guard (1...maxIdentifierBytes).contains(field.utf8.count), field.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw PaymentsError(.invalidEvent, "the event has an empty, overlong or non-ASCII identifier")
            }
        }
        for amount in [event.amountCents, event.amountRefundedCents] {
            guard (amount ?? 0) >= 0 else { throw PaymentsError(.invalidEvent, "the event has a negative amount") }
        }
        return event
    }
}

/// What a webhook delivery did, recorded with its event id and answered to Stripe.
public enum WebhookOutcome: String, Sendable, Equatable, CaseIterable {
    /// This event granted the session's credits.
    case fulfilled
    /// The session's credits were granted by an earlier event; nothing moved.
    case alreadyFulfilled = "already_fulfilled"
    /// This event id was handled before (Stripe delivers at least once); nothing moved.
    case duplicateEvent = "duplicate_event"
    /// This event took back a share of a purchase (what was unspent; the rest became a debt).
    case reversed
    /// An earlier event already took back as much of this purchase; nothing moved.
    case alreadyReversed = "already_reversed"
    /// The session completed without its money yet (delayed payment methods); nothing moved.
    case unpaid
    /// An event type that grants nothing.
    case ignored
}
