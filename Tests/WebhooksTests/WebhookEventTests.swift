import AurisTestSupport
import Billing
import Database
@testable import Queue
import Testing

/// Every way a job ends writes its event and one delivery per live endpoint, in the
/// transaction that ends it: success, failure, a cancel (queued or running), and a
/// rescue that gives up.
@Suite(.timeLimit(.minutes(5))) struct WebhookEventTests {
    @Test("succeeded, failed, canceled while queued or running, and given up by the rescue: one event each, one delivery per endpoint")
    func everyEndWritesItsDeliveries() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let queue = fixture.store.queue { $0.leaseMilliseconds = 10_000; $0.maxAttempts = 1 }
        let first = try await fixture.register("https://hooks.example.com/a")
        let second = try await fixture.register("https://hooks.example.com/b")
        let gone = try await fixture.register("https://hooks.example.com/gone")
        #expect(try await fixture.endpoints.delete(gone.endpoint.id, of: fixture.account))
        func enqueue() async throws -> Job {
            try await queue.enqueue(EnqueueRequest(account: fixture.account, credits: 1, durationMilliseconds: 5_000, payload: "{}")).job
        }

        let canceledQueued = try await enqueue()
        #expect(try await queue.cancel(jobID: canceledQueued.id, account: fixture.account) == .canceled)
        #expect(try await Self.eventTypes(fixture.store) == [canceledQueued.id: ["dub.canceled", "dub.canceled"]],
                "written with the cancel, before anything else runs")

        let failed = try await enqueue()
        let failedClaim = try #require(try await queue.claim(owner: "worker-1"))
        #expect(failedClaim.id == failed.id)
        #expect(try await queue.fail(failedClaim.claim, errorCode: "provider_rejected", errorMessage: "no") == .settled(.failed))

        let canceledRunning = try await enqueue()
        let runningClaim = try #require(try await queue.claim(owner: "worker-1"))
        #expect(try await queue.cancel(jobID: canceledRunning.id, account: fixture.account) == .cancelRequested)
        #expect(try await Self.eventTypes(fixture.store)[canceledRunning.id] == nil, "a requested cancel has not ended the job")
        #expect(try await queue.settleCanceled(runningClaim.claim) == .settled(.canceled))

        let rescued = try await enqueue()
        _ = try #require(try await queue.claim(owner: "worker-gone"))
        fixture.store.clock.advance(byMilliseconds: 10_001)
        #expect(try await queue.rescueExpiredLeases() == 1)

        let succeeded = try await enqueue()
        let succeededClaim = try #require(try await queue.claim(owner: "worker-1"))
        #expect(try await queue.succeed(succeededClaim.claim) == .settled(.succeeded))
        #expect(try await queue.succeed(succeededClaim.claim) == .leaseLost)

        let types = try await Self.eventTypes(fixture.store)
        #expect(types == [
            canceledQueued.id: ["dub.canceled", "dub.canceled"], failed.id: ["dub.failed", "dub.failed"],
            canceledRunning.id: ["dub.canceled", "dub.canceled"], rescued.id: ["dub.failed", "dub.failed"],
            succeeded.id: ["dub.succeeded", "dub.succeeded"],
        ])
        let rows = try await fixture.deliveryRows()
        #expect(Set(rows.map(\.endpointID)) == [first.endpoint.id, second.endpoint.id], "none for the deleted endpoint")
        #expect(rows.allSatisfy { $0.state == "pending" && $0.attempts == 0 })
        #expect(Set(rows.map(\.eventID)).count == 5, "one event per job end, shared by its deliveries")
        #expect(try await fixture.store.violations() == [])
    }

    @Test("a success that claims the slot's next job writes its event and deliveries too (on PostgreSQL, in auris_succeed)")
    func successClaimingNextWritesItsDeliveries() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let endpoints = [
            try await fixture.register("https://hooks.example.com/a"), try await fixture.register("https://hooks.example.com/b"),
            try await fixture.register("https://hooks.example.com/c"),
        ]
        let request = EnqueueRequest(account: fixture.account, credits: 1, durationMilliseconds: 5_000, payload: "{}")
        let enqueued = Set([try await fixture.queue.enqueue(request).job.id, try await fixture.queue.enqueue(request).job.id])
        // Jobs enqueued in the same millisecond are claimed in the order of their random ids.
        let claimed = try #require(try await fixture.queue.claim(owner: "worker-1"))
        #expect(enqueued.contains(claimed.id))

        let (settlement, next) = try await fixture.queue.succeed(claimed.claim, claimingNextFor: "worker-1")
        #expect(settlement == .settled(.succeeded))
        #expect(next?.id == enqueued.subtracting([claimed.id]).first)
        #expect(try await Self.eventTypes(fixture.store) == [claimed.id: ["dub.succeeded", "dub.succeeded", "dub.succeeded"]])
        let rows = try await fixture.deliveryRows()
        #expect(Set(rows.map(\.endpointID)) == Set(endpoints.map(\.endpoint.id)))
        #expect(Set(rows.map(\.id)).count == 3, "each delivery its own id")
        #expect(Set(rows.map(\.eventID)).count == 1)
        #expect(rows.allSatisfy { $0.state == "pending" && $0.attempts == 0 })
        #expect(try await fixture.store.violations() == [])
    }

    @Test("an account without endpoints gets no events; another account's endpoints get nothing of it")
    func noEndpointsNoRows() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let other = try await fixture.store.accounts.create(name: "Bob", signupCredits: 5).id
        guard case .created = try await fixture.endpoints.create(for: other, url: "https://bob.example.com/hook") else {
            Issue.record("Bob's endpoint was refused"); return
        }
        _ = try await fixture.succeededJob()
        #expect(try await Self.eventTypes(fixture.store) == [:])
    }

    @Test("at most ten endpoints per account")
    func endpointLimit() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        for index in 0..<WebhookEndpoints.maxPerAccount {
            _ = try await fixture.register("https://hooks.example.com/\(index)")
        }
        #expect(try await fixture.endpoints.create(for: fixture.account, url: "https://hooks.example.com/x")
                == .limitReached(limit: WebhookEndpoints.maxPerAccount))
        #expect(try await fixture.endpoints.list(of: fixture.account).count == WebhookEndpoints.maxPerAccount)
    }

    /// Job id → the types of its deliveries, read from the tables.
    static func eventTypes(_ store: TestStore) async throws -> [String: [String]] {
        try await store.database.read { db in
            let rows = try db.query(
                """
                SELECT v.job_id, v.type FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id
                ORDER BY v.job_id, d.id
                """
            ) { row in (row["job_id"] as String, row["type"] as String) }
            return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
        }
    }
}
