import AurisTestSupport
import Billing
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Payments
import Queue
import Testing

/// Refunds and disputes take back what is unspent of that purchase, exactly once; what
/// was spent becomes a debt that stops new jobs until it is repaid or forgiven.
struct ReversalTests {
    @Test func aFullRefundOfAnUnspentPurchaseTakesItAllBackOnce() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.buyPro(fixture)
                #expect(try await fixture.available() == 70)
                let refund = fixture.reversal("charge.refunded", sessionID: sessionID, refundedCents: 1_500)
                let first = try await client.deliver(refund)
                #expect(first.status == .ok)
                #expect(first.json["outcome"] as? String == "reversed")
                #expect(try await fixture.available() == 10)
                let replay = try await client.deliver(refund)
                #expect(replay.json["outcome"] as? String == "duplicate_event")
                let again = try await client.deliver(fixture.reversal("charge.refunded", sessionID: sessionID, refundedCents: 1_500))
                #expect(again.json["outcome"] as? String == "already_reversed")
                let dispute = try await client.deliver(fixture.reversal("charge.dispute.created", sessionID: sessionID, refundedCents: 0))
                #expect(dispute.json["outcome"] as? String == "already_reversed", "a refunded purchase is not taken back twice")
                let credits = try await client.credits(fixture)
                #expect(credits["credits"] as? Int == 10)
                #expect(credits["debt"] as? Int == 0)
                let history = credits["history"] as? [[String: Any]] ?? []
                #expect(history.first?["reason"] as? String == "refund")
                #expect(history.first?["change"] as? Int == -60)
            }
            #expect(try await fixture.available() == 10)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func partialRefundsTakeBackTheirShareRoundedUpAndOnlyTheDifferenceLater() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.buyPro(fixture)
                let third = try await client.deliver(fixture.reversal("charge.refunded", sessionID: sessionID, refundedCents: 500))
                #expect(third.json["outcome"] as? String == "reversed")
                #expect(try await fixture.available() == 70 - 20)
                let cent = try await client.deliver(fixture.reversal("charge.refunded", sessionID: sessionID, refundedCents: 501))
                #expect(cent.json["outcome"] as? String == "reversed", "one more cent refunded takes one more credit")
                #expect(try await fixture.available() == 70 - 21)
                let rest = try await client.deliver(fixture.reversal("charge.refunded", sessionID: sessionID, refundedCents: 1_500))
                #expect(rest.json["outcome"] as? String == "reversed")
                #expect(try await fixture.available() == 10)
            }
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func aDisputeOfASpentPurchaseRecordsADebtThatStopsNewJobsUntilRepaidOrForgiven() async throws {
        try await PaymentsFixture.with { fixture in
            let queue = fixture.store.queue()
            try await fixture.application().test(.router) { client in
                let sessionID = try await client.buyPro(fixture)
                // 65 of the 70 credits are held by a job: only 5 can be taken back.
                _ = try await queue.enqueue(EnqueueRequest(
                    account: fixture.user.id, credits: 65, durationMilliseconds: 645_000, payload: "{}"))
                let dispute = try await client.deliver(fixture.reversal("charge.dispute.created", sessionID: sessionID, refundedCents: 0))
                #expect(dispute.json["outcome"] as? String == "reversed")
                let balance = try await fixture.store.accounts.balance(of: fixture.user.id)
                #expect(balance.available == 0)
                #expect(balance.debt == 55)

                let upload = try await client.execute(
                    uri: "/api/dub?target_language=fr", method: .post,
                    headers: [.authorization: "Bearer \(fixture.user.apiKey)", .contentType: "audio/wav"],
                    body: ByteBuffer(bytes: [UInt8](repeating: 0, count: 64)))
                #expect(upload.status.code == 402)
                #expect(upload.errorCode == "account_in_debt")
                #expect((upload.json["error"] as? [String: Any])?["debt"] as? Int == 55)
                await #expect(throws: LedgerError.accountInDebt(credits: 55), "the queue refuses it inside its own transaction too") {
                    try await queue.enqueue(EnqueueRequest(account: fixture.user.id, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
                }

                // The next purchase repays the debt first.
                _ = try await client.buy("starter", fixture)
                let repaid = try await fixture.store.accounts.balance(of: fixture.user.id)
                #expect(repaid.debt == 55 - 15)
                #expect(repaid.available == 0)
            }
            let forgiven = try await fixture.store.database.write { db in
                try Ledger(db).forgiveDebt(of: fixture.user.id, note: "goodwill", at: fixture.store.clock.nowMilliseconds)
            }
            #expect(forgiven == 40)
            #expect(try await fixture.store.accounts.balance(of: fixture.user.id).debt == 0)
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func eventsAboutPurchasesWeDoNotKnowAreRefusedAndNotRemembered() async throws {
        try await PaymentsFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let session = try await client.deliver(fixture.delivery(sessionID: "cs_test_not_ours"))
                #expect(session.status == .conflict)
                #expect(session.errorCode == "unknown_purchase")
                let refund = try await client.deliver(fixture.reversal("charge.refunded", sessionID: "cs_test_not_ours", refundedCents: 100))
                #expect(refund.status == .conflict)
                #expect(refund.errorCode == "unknown_purchase")
            }
            #expect(try await fixture.recordedEvents().isEmpty, "Stripe's next delivery must be handled afresh")
            #expect(try await fixture.available() == 10)
            #expect(try await fixture.store.violations() == [])
        }
    }
}

extension PaymentsFixture {
    /// A signed refund or dispute of the payment of `sessionID` (a 15 € pro purchase).
    func reversal(_ type: String, sessionID: String, refundedCents: Int64) -> FakeStripeWebhookDelivery {
        let eventID = "evt_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let body = FakeStripeWebhook.reversalBody(
            id: eventID, type: type, sessionID: sessionID, amountCents: 1_500, amountRefundedCents: refundedCents,
            createdSeconds: nowSeconds)
        return FakeStripeWebhookDelivery(
            eventID: eventID, body: body,
            signatureHeader: FakeStripeWebhook.signatureHeader(body: body, secrets: [Self.webhookSecret], timestampSeconds: nowSeconds))
    }
}

extension TestClientProtocol {
    /// Buys `plan` through Checkout and Stripe's webhook; returns the session id.
    func buy(_ plan: String, _ fixture: PaymentsFixture) async throws -> String {
        let sessionID = try await startCheckout(plan: plan, fixture: fixture)
        let paid = try await deliver(fixture.delivery(sessionID: sessionID))
        try #require(paid.json["outcome"] as? String == "fulfilled")
        return sessionID
    }

    func buyPro(_ fixture: PaymentsFixture) async throws -> String { try await buy("pro", fixture) }
}
