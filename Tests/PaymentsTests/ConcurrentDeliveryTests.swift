import AurisTestSupport
import Billing
import Payments
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Stripe retries, and its retries can overlap: duplicates arriving at the same time over
/// real sockets must still grant once.
@Suite struct ConcurrentDeliveryTests {
    @Test func twentyConcurrentDeliveriesOfOneEventGrantOnce() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.live) { client in
                let sessionID = try await client.startCheckout(plan: "pro", fixture: fixture)
                let delivery = fixture.delivery(sessionID: sessionID)
                let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<20 {
                        group.addTask { try await client.deliver(delivery).json["outcome"] as? String }
                    }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(outcomes.count == 20)
                #expect(outcomes.filter { $0 == "fulfilled" }.count == 1)
                #expect(outcomes.filter { $0 == "duplicate_event" }.count == 19)
                #expect(try await client.credits(fixture)["credits"] as? Int == 70)
            }
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func concurrentDifferentEventsForOneSessionGrantOnce() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.live) { client in
                let sessionID = try await client.startCheckout(plan: "premium", fixture: fixture)
                let deliveries = (0..<20).map { index in
                    fixture.delivery(
                        index.isMultiple(of: 2) ? "checkout.session.completed" : "checkout.session.async_payment_succeeded",
                        sessionID: sessionID)
                }
                let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
                    for delivery in deliveries {
                        group.addTask { try await client.deliver(delivery).json["outcome"] as? String }
                    }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 == "fulfilled" }.count == 1)
                #expect(outcomes.filter { $0 == "already_fulfilled" }.count == 19)
                #expect(try await fixture.recordedEvents().count == 20)
            }
            #expect(try await fixture.available() == 10 + 150)
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.store.violations() == [])
        }
    }

    /// Two API processes share the database file: deliveries split across two connection
    /// sets still grant once (the status guard and the grant's id, not one process's lock).
    @Test func deliveriesThroughTwoDatabaseConnectionsGrantOnce() async throws {
        try await PaymentsFixture.with { fixture in
            let sessionID = try await fixture.application().test(.router) { client in
                try await client.startCheckout(plan: "starter", fixture: fixture)
            }
            let other = try await fixture.store.reopen()
            var configuration = Payments.Configuration(
                secretKey: PaymentsFixture.secretKey, webhookSecret: PaymentsFixture.webhookSecret,
                apiBaseURL: fixture.stripe.baseURL, publicURL: PaymentsFixture.publicURL)
            configuration.requestTimeoutSeconds = 5
            let second = Payments(configuration: configuration, database: other, clock: fixture.store.clock, logger: PaymentsFixture.quietLogger)
            let first = try #require(fixture.payments)
            let deliveries = (0..<20).map { _ in fixture.delivery(sessionID: sessionID) }
            let outcomes = try await withThrowingTaskGroup(of: WebhookOutcome.self) { group in
                for (index, delivery) in deliveries.enumerated() {
                    let payments = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await payments.handleWebhook(rawBody: delivery.body, signatureHeader: delivery.signatureHeader) }
                }
                return try await group.reduce(into: [WebhookOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .fulfilled }.count == 1)
            #expect(outcomes.filter { $0 == .alreadyFulfilled }.count == 19)
            #expect(try await fixture.available() == 10 + 15)
            #expect(try await fixture.purchaseGrantCount() == 1)
            #expect(try await fixture.store.violations() == [])
        }
    }
}
