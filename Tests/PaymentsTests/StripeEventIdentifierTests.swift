import AurisTestSupport
import Foundation
import NIOCore
import Payments
import Hummingbird
import HummingbirdTesting
import Testing

/// Stripe's identifiers are visible ASCII, as docs/openapi.yaml says: a signed event
/// whose id, type or object id is anything else is 400 invalid_event and records nothing.
@Suite(.timeLimit(.minutes(5))) struct StripeEventIdentifierTests {
    @Test(arguments: [
        #"{"id": "evt_caf\u00e9", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}"#,
        #"{"id": "evt 1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}"#,
        #"{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_\u00e9"}}}"#,
        #"{"id": "", "type": "ping", "data": {}}"#,
    ])
    func aNonASCIIIdentifierIsRefused(_ json: String) async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let body = Array(json.utf8)
                let header = FakeStripeWebhook.signatureHeader(
                    body: body, secrets: [PaymentsFixture.webhookSecret], timestampSeconds: fixture.nowSeconds)
                let response = try await client.deliver(FakeStripeWebhookDelivery(eventID: "-", body: body, signatureHeader: header))
                #expect(response.status == .badRequest, "\(json)")
                #expect(response.errorCode == "invalid_event", "\(json)")
            }
            #expect(try await fixture.recordedEvents().isEmpty)
        }
    }

    @Test func anASCIIEventOfAnotherTypeIsIgnored() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let body = Array(#"{"id": "evt_ascii_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}"#.utf8)
                let header = FakeStripeWebhook.signatureHeader(
                    body: body, secrets: [PaymentsFixture.webhookSecret], timestampSeconds: fixture.nowSeconds)
                let response = try await client.deliver(FakeStripeWebhookDelivery(eventID: "evt_ascii_1", body: body, signatureHeader: header))
                #expect(response.status == .ok)
            }
        }
    }
}
