import AurisTestSupport
import Billing
import Database
import Foundation
@testable import Queue
import Testing
@testable import Worker

/// A job's end reaches the customer's endpoint signed, at least once, with the same event
/// id and bytes on every attempt, retried with backoff until the window closes.
@Suite(.timeLimit(.minutes(5))) struct WebhookDeliveryTests {
    @Test("a receiver that answers 500 twice then 200 gets the event three times, same id and bytes, validly signed")
    func retriesUntilDelivered() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let (receiver, endpoint) = try await fixture.localEndpoint(answering: [500, 500, 200])
        let job = try await fixture.succeededJob()
        let deliverer = fixture.deliverer()

        #expect(try await deliverer.deliverDue() == 1)
        #expect(try await deliverer.deliverDue() == 0, "the next attempt waits for its backoff")
        fixture.store.clock.advance(byMilliseconds: 30_001)
        #expect(try await deliverer.deliverDue() == 1)
        fixture.store.clock.advance(byMilliseconds: 60_001)
        #expect(try await deliverer.deliverDue() == 1)
        fixture.store.clock.advance(byMilliseconds: 86_400_000)
        #expect(try await deliverer.deliverDue() == 0, "delivered: never sent again")
        await receiver.stop()

        let received = receiver.received
        #expect(received.count == 3)
        #expect(Set(received.map(\.body)).count == 1, "every attempt sends the same bytes")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(received[0].body.utf8)) as? [String: Any])
        let eventID = try #require(event["id"] as? String)
        #expect(eventID.hasPrefix("evt_") && received.allSatisfy { $0.eventID == eventID })
        #expect(event["type"] as? String == "dub.succeeded")
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["id"] as? String == job.id && data["status"] as? String == "succeeded")
        #expect(data["result_url"] as? String == "https://auris.example/api/dub/\(job.id)/result")
        #expect(data["credits_charged"] as? Int == 2)
        for delivery in received {
            let check = try #require(webhookSignatureMatches(delivery.signature, body: delivery.body, secret: endpoint.secret))
            #expect(check.matches == 1)
        }
        #expect(webhookSignatureMatches(received[2].signature, body: received[2].body, secret: "whsec_other")?.matches == 0)

        let rows = try await fixture.deliveryRows()
        #expect(rows.count == 1)
        #expect(rows.first?.state == "delivered" && rows.first?.attempts == 3 && rows.first?.lastStatus == 200)
        #expect(rows.first?.eventID == eventID && rows.first?.jobID == job.id)
    }

    @Test("a receiver down for the whole retry window ends as failed, after backed-off attempts within three days")
    func downForTheWholeWindow() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let receiver = try await fixture.localEndpoint(answering: [503]).receiver
        _ = try await fixture.succeededJob()
        let deliverer = fixture.deliverer()
        let start = fixture.store.clock.nowMilliseconds
        var attemptTimes: [Int64] = []
        while fixture.store.clock.nowMilliseconds - start < 4 * 86_400_000 {
            if try await deliverer.deliverDue() > 0 { attemptTimes.append(fixture.store.clock.nowMilliseconds - start) }
            fixture.store.clock.advance(byMilliseconds: 60_000)
        }
        await receiver.stop()

        let row = try #require(try await fixture.deliveryRows().first)
        #expect(row.state == "failed" && row.lastStatus == 503 && row.nextAttemptAtMilliseconds == nil)
        #expect(row.attempts == attemptTimes.count && receiver.received.count == attemptTimes.count)
        #expect(attemptTimes.count >= 10 && attemptTimes.count <= 40)
        #expect(attemptTimes.allSatisfy { $0 <= 3 * 86_400_000 }, "no attempt after the window")
        #expect(try #require(attemptTimes.last) > 2 * 86_400_000, "retried until late in the window")
        let gaps = zip(attemptTimes.dropFirst(), attemptTimes).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 <= 6 * 3_600_000 + 60_000 }, "the backoff is capped")
        let firstGap = try #require(gaps.first), laterGap = try #require(gaps.dropFirst(5).first)
        #expect(firstGap < laterGap, "the backoff grows")
    }

    @Test("a delivery claimed by a worker that died mid-attempt is taken again once its lease runs out")
    func leaseRetaken() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let receiver = try await fixture.localEndpoint(answering: [200]).receiver
        _ = try await fixture.succeededJob()

        // A worker claims and dies before sending: its claim is never finished.
        let dead = try await fixture.deliveries.claim(limit: 10) { _ in "{\"rendered\":\"by the dead worker\"}" }
        #expect(dead.count == 1)
        let deliverer = fixture.deliverer()
        #expect(try await deliverer.deliverDue() == 0, "the lease still holds it")
        fixture.store.clock.advance(byMilliseconds: fixture.deliveries.configuration.leaseMilliseconds + 1)
        #expect(try await deliverer.deliverDue() == 1)
        await receiver.stop()

        #expect(receiver.received.count == 1)
        #expect(receiver.received.first?.body == dead.first?.body, "the body rendered once is the event's for good")
        let row = try #require(try await fixture.deliveryRows().first)
        #expect(row.state == "delivered" && row.attempts == 2)
        #expect(try await fixture.deliveries.finish(try #require(dead.first), .failed(status: nil, error: "late")) == false)
        #expect(try await fixture.deliveryRows().first?.state == "delivered", "the dead claim's outcome changes nothing")
    }

    @Test("after a rotation both secrets sign for the grace period, then only the new one; resend sends the same event again")
    func rotationAndResend() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let (receiver, old) = try await fixture.localEndpoint(answering: [200])
        let rotated = try #require(try await fixture.endpoints.rotate(old.endpoint.id, of: fixture.account))
        #expect(rotated.secret != old.secret)
        _ = try await fixture.succeededJob()
        let deliverer = fixture.deliverer()
        #expect(try await deliverer.deliverDue() == 1)
        let first = try #require(receiver.received.first)
        #expect(webhookSignatureMatches(first.signature, body: first.body, secret: rotated.secret)?.matches == 1)
        #expect(webhookSignatureMatches(first.signature, body: first.body, secret: old.secret)?.matches == 1)

        fixture.store.clock.advance(byMilliseconds: WebhookEndpoints.rotationGraceMilliseconds + 1)
        let delivery = try #require(try await fixture.deliveryRows().first)
        #expect(try await fixture.deliveries.resend(delivery.id, of: fixture.account) == .scheduled)
        #expect(try await fixture.deliveries.resend(delivery.id, of: AccountID(rawValue: 999_999)) == .notFound)
        #expect(try await deliverer.deliverDue() == 1)
        await receiver.stop()
        let second = try #require(receiver.received.last)
        #expect(receiver.received.count == 2 && second.body == first.body && second.eventID == first.eventID)
        #expect(webhookSignatureMatches(second.signature, body: second.body, secret: rotated.secret)?.matches == 1)
        #expect(webhookSignatureMatches(second.signature, body: second.body, secret: old.secret)?.matches == 0)
        #expect(second.signature?.components(separatedBy: "v1=").count == 2, "one signature once the grace is over")
        #expect(try await fixture.deliveryRows().first.map { ($0.state, $0.attempts) } ?? ("", 0) == ("delivered", 2))
    }

    @Test("finished deliveries leave the list a month after their end; unfinished ones stay")
    func finishedDeliveriesAreRemovedAfterAMonth() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let receiver = try await fixture.localEndpoint(answering: [200]).receiver
        _ = try await fixture.succeededJob()
        #expect(try await fixture.deliverer().deliverDue() == 1)
        await receiver.stop()
        fixture.store.clock.advance(byMilliseconds: WebhookDeliveries.keptMilliseconds - 1_000)
        let pendingJob = try await fixture.succeededJob()
        #expect(try await fixture.deliveries.removeFinished() == 0, "not a month yet")
        fixture.store.clock.advance(byMilliseconds: 2_000)
        #expect(try await fixture.deliveries.removeFinished() == 1)
        let left = try await fixture.deliveryRows()
        #expect(left.map(\.jobID) == [pendingJob.id] && left.first?.state == "pending")
        let events = try await fixture.store.database.read { db in
            try db.query("SELECT job_id FROM webhook_events") { row in row["job_id"] as String }
        }
        #expect(events == [pendingJob.id], "the removed delivery's event went with it")
    }
}
