import API
import AurisTestSupport
import Billing
import Payments
import Database
import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import Testing

/// `POST /api/checkout` against the fake Stripe: the exact form Stripe receives, the
/// session recorded, and every way the call can fail.
@Suite struct CheckoutTests {
    @Test(arguments: Plans.all)
    func eachPlanSendsStripeExactlyItsForm(plan: Plan) async throws {
        try await PaymentsFixture.with { fixture in
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: plan.id, apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .ok)
            let sessionID = try #require(response.json["session_id"] as? String)
            #expect(response.json["ok"] as? Bool == true)
            #expect(response.json["url"] as? String == "https://checkout.stripe.com/c/pay/\(sessionID)")

            let requests = fixture.stripe.requests
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.path == "/v1/checkout/sessions")
            #expect(request.status == 200)
            #expect(request.authorization == "Bearer \(PaymentsFixture.secretKey)")
            #expect(request.contentType == "application/x-www-form-urlencoded")
            #expect(request.idempotencyKey?.hasPrefix("auris-checkout_") == true)
            let user = String(fixture.user.id.rawValue)
            let expected: FakeStripeFormValue = .object([
                "mode": .string("payment"),
                "line_items": .object(["0": .object([
                    "price_data": .object([
                        "currency": .string("eur"),
                        "unit_amount": .string(String(plan.priceCents)),
                        "product_data": .object(["name": .string("Auris \(plan.name): \(plan.credits) credits")]),
                    ]),
                    "quantity": .string("1"),
                ])]),
                "success_url": .string("https://auris.example/?checkout=success&session_id={CHECKOUT_SESSION_ID}"),
                "cancel_url": .string("https://auris.example/?checkout=cancel"),
                "client_reference_id": .string(user),
                "metadata": .object(["account_id": .string(user), "plan": .string(plan.id)]),
            ])
            #expect(request.form == expected)
            // Brackets stay literal in names; everything outside RFC 3986's unreserved set is escaped.
            #expect(request.rawBody.contains("line_items[0][price_data][unit_amount]=\(plan.priceCents)&"))
            #expect(request.rawBody.contains("session_id%3D%7BCHECKOUT_SESSION_ID%7D"))
            #expect(request.rawBody.contains("name]=Auris%20\(plan.name)%3A%20\(plan.credits)%20credits&"))

            let created = try #require(fixture.stripe.sessions[sessionID])
            #expect(created.request.amountTotalCents == plan.priceCents)
            let recorded = try #require(try await fixture.session(sessionID))
            #expect(recorded.status == "pending")
            #expect(recorded.credits == plan.credits)
            #expect(recorded.planID == plan.id)
            #expect(recorded.accountID == fixture.user.id.rawValue)
            #expect(try await fixture.available() == PaymentsFixture.signupCredits)
        }
    }

    @Test func anUnknownPlanIsRefusedWithoutCallingStripe() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.checkout(plan: "platinum", apiKey: fixture.user.apiKey)
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "unknown_plan")
                let missing = try await client.execute(
                    uri: "/api/checkout", method: .post,
                    headers: [.authorization: "Bearer \(fixture.user.apiKey)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"plans": "pro"}"#))
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == "invalid_request")
            }
            #expect(fixture.stripe.requests.isEmpty)
        }
    }

    @Test func checkoutNeedsAnAPIKey() async throws {
        try await PaymentsFixture.with { fixture in
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: nil)
            }
            #expect(response.status == .unauthorized)
            #expect(fixture.stripe.requests.isEmpty)
        }
    }

    @Test func stripesRefusalIsA502WithStripesMessage() async throws {
        // A public URL Stripe will not take: Stripe answers 400 url_invalid for success_url.
        try await PaymentsFixture.with(publicURL: "auris.example") { fixture in
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .badGateway)
            #expect(response.errorCode == "payment_provider_error")
            #expect(response.errorMessage == "Not a valid URL")
            #expect(fixture.stripe.requests.map(\.status) == [400])
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func aRejectedSecretKeyIsA502ThatDoesNotEchoTheKey() async throws {
        try await PaymentsFixture.with(secretKey: "sk_test_revoked_9876") { fixture in
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "starter", apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .badGateway)
            #expect(response.errorCode == "payment_provider_error")
            #expect(fixture.stripe.requests.map(\.status) == [401])
            #expect(!String(buffer: response.body).contains("9876"))
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func aStripeServerErrorIsA502Unavailable() async throws {
        try await PaymentsFixture.with { fixture in
            fixture.stripe.inject(.serverError)
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .badGateway)
            #expect(response.errorCode == "payment_provider_unavailable")
            #expect(fixture.stripe.requests.map(\.status) == [500])
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func anUnreachableStripeIsA502Unavailable() async throws {
        try await PaymentsFixture.with { fixture in
            await fixture.stripe.stop()
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .badGateway)
            #expect(response.errorCode == "payment_provider_unavailable")
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func aSilentStripeTimesOutWithinTheLimit() async throws {
        try await PaymentsFixture.with(requestTimeoutSeconds: 1) { fixture in
            fixture.stripe.inject(.hang)
            let started = ContinuousClock.now
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
            }
            // The fake would hold the request for 120 s; generous for a busy two-core machine.
            #expect(started.duration(to: .now) < .seconds(60))
            #expect(response.status == .badGateway)
            #expect(response.errorCode == "payment_provider_unavailable")
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func withoutASecretKeyPaymentsAreDisabled() async throws {
        try await PaymentsFixture.with(secretKey: nil) { fixture in
            try await fixture.application().test(.router) { client in
                let checkout = try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
                #expect(checkout.status == .serviceUnavailable)
                #expect(checkout.errorCode == "payments_disabled")
                let webhook = try await client.deliver(fixture.delivery(sessionID: "cs_test_any"))
                #expect(webhook.status == .serviceUnavailable)
                #expect(webhook.errorCode == "payments_disabled")
            }
            #expect(fixture.stripe.requests.isEmpty)
            #expect(try await fixture.recordedEvents().isEmpty)
        }
    }

    @Test func withoutAWebhookSecretNoCheckoutStarts() async throws {
        // A payment nobody could grant would take the buyer's money for nothing.
        try await PaymentsFixture.with(webhookSecret: nil) { fixture in
            let response = try await fixture.application().test(.router) { client in
                try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey)
            }
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "payments_disabled")
            #expect(response.errorMessage?.contains("STRIPE_WEBHOOK_SECRET") == true)
            #expect(fixture.stripe.requests.isEmpty)
            #expect(try await fixture.recordedSessionCount() == 0)
        }
    }

    @Test func theSameIdempotencyKeyGivesTheSameSession() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let first = try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey, idempotencyKey: "buy-1")
                let again = try await client.checkout(plan: "pro", apiKey: fixture.user.apiKey, idempotencyKey: "buy-1")
                #expect(first.status == .ok && again.status == .ok)
                #expect(first.json["session_id"] as? String == again.json["session_id"] as? String)
                let otherPlan = try await client.checkout(plan: "premium", apiKey: fixture.user.apiKey, idempotencyKey: "buy-1")
                #expect(otherPlan.status == .unprocessableContent)
                #expect(otherPlan.errorCode == "idempotency_conflict")
            }
            #expect(fixture.stripe.requests.count == 3)
            #expect(fixture.stripe.sessions.count == 1)
            #expect(try await fixture.recordedSessionCount() == 1)
        }
    }
}

extension PaymentsFixture {
    func recordedSessionCount() async throws -> Int64 {
        try await store.database.read { db in
            try db.queryFirst("SELECT count(*) FROM checkout_sessions") { row in row[0] as Int64 } ?? 0
        }
    }
}
