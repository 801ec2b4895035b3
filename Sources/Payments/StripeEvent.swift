import Foundation

/// The fields of a Stripe event that fulfilment reads. Everything else in the event
/// (amounts, metadata) is ignored on purpose: what a session buys was recorded by Auris
/// when the session was created.
struct StripeEvent: Sendable, Equatable {
    /// Identifiers longer than this are not Stripe's and are refused.
    static let maxIdentifierBytes = 255

    var id: String
    var type: String
    /// `data.object.id`: for `checkout.session.*` events, the Checkout Session.
    var objectID: String?
    /// `data.object.payment_status`: `paid`, `unpaid` or `no_payment_required`.
    var paymentStatus: String?

    /// The Checkout Session this event is about, for `checkout.session.*` events.
    var sessionID: String? { type.hasPrefix("checkout.session.") ? objectID : nil }

    /// Whether the event says the session's money has arrived (REFERENCE.md, Stripe).
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
                enum CodingKeys: String, CodingKey { case id, paymentStatus = "payment_status" }
            }
            var id: String
            var type: String
            var data: Payload?
        }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(body)) else {
            throw PaymentsError(.invalidEvent, "the body is not a Stripe event (id, type, data.object)")
        }
        let event = StripeEvent(
            id: wire.id, type: wire.type, objectID: wire.data?.object?.id, paymentStatus: wire.data?.object?.paymentStatus)
        for field in [event.id, event.type, event.objectID ?? "x"] {
            guard !field.isEmpty, field.utf8.count <= maxIdentifierBytes else {
                throw PaymentsError(.invalidEvent, "the event has an empty or overlong identifier")
            }
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
    /// No session Auris created has this id; nothing moved.
    case unknownSession = "unknown_session"
    /// The session completed without its money yet (delayed payment methods); nothing moved.
    case unpaid
    /// An event type that grants nothing.
    case ignored
}
