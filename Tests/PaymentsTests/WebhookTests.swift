import AurisTestSupport
import Billing
import Payments
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `POST /api/stripe/webhook`: signatures checked on the raw bytes, and each paid session
/// granted exactly once whatever Stripe sends, in whatever order.
@Suite struct WebhookTests {
    @Test func aPaidCompletedSessionGrantsThePlansCreditsOnce() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "pro", fixture: fixture)
                let delivery = fixture.delivery(sessionID: sessionID)
                let response = try await client.deliver(delivery)
                #expect(response.status == .ok)
                #expect(response.json["ok"] as? Bool == true)
                #expect(response.json["outcome"] as? String == "fulfilled")

                let credits = try await client.credits(fixture)
                #expect(credits["credits"] as? Int == 10 + 60)
                let latest = try #require((credits["history"] as? [[String: Any]])?.first)
                #expect(latest["reason"] as? String == "purchase")
                #expect(latest["note"] as? String == "Pro")
                #expect(latest["change"] as? Int == 60)
                #expect(latest["id"] as? String == "purchase:\(sessionID)")
            }
            #expect(try await fixture.available() == 70)
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func forgedTamperedAndMissingSignaturesChangeNothing() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "premium", fixture: fixture)
                let forged = fixture.delivery(sessionID: sessionID, secrets: ["whsec_attacker"])
                let forgedResponse = try await client.deliver(forged)
                #expect(forgedResponse.status == .badRequest)
                #expect(forgedResponse.errorCode == "invalid_signature")

                var tampered = fixture.delivery(sessionID: sessionID, paymentStatus: "unpaid")
                tampered.body = Array(String(decoding: tampered.body, as: UTF8.self)
                    .replacingOccurrences(of: "\"unpaid\"", with: "\"paid\"").utf8)
                let tamperedResponse = try await client.deliver(tampered)
                #expect(tamperedResponse.status == .badRequest)
                #expect(tamperedResponse.errorCode == "invalid_signature")

                let missing = try await client.deliver(fixture.delivery(sessionID: sessionID), header: .some(nil))
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == "missing_signature")

                let garbage = try await client.deliver(fixture.delivery(sessionID: sessionID), header: "t=abc,v1=zz")
                #expect(garbage.status == .badRequest)
                #expect(garbage.errorCode == "invalid_signature")
            }
            #expect(try await fixture.available() == PaymentsFixture.signupCredits)
            #expect(try await fixture.recordedEvents().isEmpty)
            #expect(try await fixture.session(fixture.stripe.sessions.keys.first ?? "")?.status == "pending")
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func signaturesOutsideThe300SecondToleranceAreStale() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "starter", fixture: fixture)
                for offset: Int64 in [-301, 301, -10_000] {
                    let late = fixture.delivery(sessionID: sessionID, timestampSeconds: fixture.nowSeconds + offset)
                    let response = try await client.deliver(late)
                    #expect(response.status == .badRequest, "offset \(offset)")
                    #expect(response.errorCode == "stale_signature", "offset \(offset)")
                }
                #expect(try await fixture.recordedEvents().isEmpty)
                let edge = fixture.delivery(sessionID: sessionID, timestampSeconds: fixture.nowSeconds - 300)
                #expect(try await client.deliver(edge).json["outcome"] as? String == "fulfilled")
            }
            #expect(try await fixture.available() == 10 + 15)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func duringSecretRotationAnyV1MayMatch() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "pro", fixture: fixture)
                let bothOld = fixture.delivery(sessionID: sessionID, secrets: ["whsec_old_1", "whsec_old_2"])
                #expect(try await client.deliver(bothOld).errorCode == "invalid_signature")
                let rotated = fixture.delivery(sessionID: sessionID, secrets: ["whsec_old_1", PaymentsFixture.webhookSecret])
                #expect(rotated.signatureHeader.components(separatedBy: "v1=").count == 3)
                let response = try await client.deliver(rotated)
                #expect(response.status == .ok)
                #expect(response.json["outcome"] as? String == "fulfilled")
            }
            #expect(try await fixture.available() == 70)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func aReplayedEventIsAcknowledgedAndGrantsNothing() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "pro", fixture: fixture)
                let delivery = fixture.delivery(sessionID: sessionID)
                #expect(try await client.deliver(delivery).json["outcome"] as? String == "fulfilled")
                fixture.store.clock.advance(byMilliseconds: 60_000)
                let again = try await client.deliver(delivery)
                #expect(again.status == .ok)
                #expect(again.json["outcome"] as? String == "duplicate_event")
                #expect(try await fixture.recordedEvents() == [delivery.eventID: "fulfilled"])
            }
            #expect(try await fixture.available() == 70)
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func asyncPaymentSucceededAfterCompletedGrantsOnce() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "premium", fixture: fixture)
                let completed = fixture.delivery("checkout.session.completed", sessionID: sessionID)
                let succeeded = fixture.delivery("checkout.session.async_payment_succeeded", sessionID: sessionID)
                #expect(try await client.deliver(completed).json["outcome"] as? String == "fulfilled")
                #expect(try await client.deliver(succeeded).json["outcome"] as? String == "already_fulfilled")
            }
            #expect(try await fixture.available() == 10 + 150)
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.session(fixture.stripe.sessions.keys.first ?? "")?.status == "fulfilled")
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func aDelayedPaymentIsGrantedWhenItSucceeds() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "starter", fixture: fixture)
                let unpaid = fixture.delivery("checkout.session.completed", sessionID: sessionID, paymentStatus: "unpaid")
                #expect(try await client.deliver(unpaid).json["outcome"] as? String == "unpaid")
                #expect(try await fixture.available() == 10)
                #expect(try await fixture.session(sessionID)?.status == "pending")
                let succeeded = fixture.delivery("checkout.session.async_payment_succeeded", sessionID: sessionID)
                #expect(try await client.deliver(succeeded).json["outcome"] as? String == "fulfilled")
                #expect(try await fixture.recordedEvents() == [unpaid.eventID: "unpaid", succeeded.eventID: "fulfilled"])
            }
            #expect(try await fixture.available() == 10 + 15)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func otherEventsAreRecordedAndGrantNothing() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.startCheckout(plan: "pro", fixture: fixture)
                let expired = fixture.delivery("checkout.session.expired", sessionID: sessionID)
                let failed = fixture.delivery("checkout.session.async_payment_failed", sessionID: sessionID)
                let other = fixture.delivery("payment_intent.succeeded", sessionID: "pi_test_123")
                var outcomes: [String: String] = [:]
                for delivery in [expired, failed, other] {
                    let response = try await client.deliver(delivery)
                    #expect(response.status == .ok)
                    outcomes[delivery.eventID] = response.json["outcome"] as? String
                }
                #expect(outcomes == [
                    expired.eventID: "ignored", failed.eventID: "ignored",
                    other.eventID: "ignored",
                ])
                #expect(try await fixture.recordedEvents() == outcomes)
                #expect(try await fixture.session(sessionID)?.status == "pending")
            }
            #expect(try await fixture.available() == 10)
            #expect(try await fixture.purchaseGrantCount() == 0)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func aSignedBodyThatIsNotAnEventIsRefused() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let body = Array(#"{"object": "event", "data": {}}"#.utf8)
                let header = FakeStripeWebhook.signatureHeader(
                    body: body, secrets: [PaymentsFixture.webhookSecret], timestampSeconds: fixture.nowSeconds)
                let response = try await client.deliver(FakeStripeWebhookDelivery(eventID: "-", body: body, signatureHeader: header))
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "invalid_event")
                let huge = FakeStripeWebhookDelivery(eventID: "-", body: Array(repeating: 0x20, count: 300 * 1_024), signatureHeader: header)
                let tooLarge = try await client.deliver(huge)
                #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.status) \(String(buffer: tooLarge.body))")
            }
            #expect(try await fixture.recordedEvents().isEmpty)
        }
    }

    @Test func withoutAWebhookSecretNoEventIsTrusted() async throws {
        try await PaymentsFixture.with(webhookSecret: nil) { fixture in
            try await fixture.application().test(.router) { client in
                // Signed with the secret this server should have had: still not trusted.
                let response = try await client.deliver(fixture.delivery(sessionID: "cs_test_unconfigured"))
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == "payments_disabled")
            }
            #expect(try await fixture.available() == 10)
            #expect(try await fixture.recordedEvents().isEmpty)
        }
    }
}
