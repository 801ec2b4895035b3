import AurisTestSupport
import Billing
import Database
@testable import Queue
import Testing

/// Each claim is its own owner: an attempt whose lease expired inside a live worker
/// settles nothing once the job is claimed again, even by another slot of the same
/// worker process (the same lease owner).
@Suite(.timeLimit(.minutes(5))) struct ClaimTokenTests {
    @Test func aStaleAttemptOfTheSameWorkerCannotSettleAfterAReclaim() async throws {
        let store = try await TestStore.make("auris-claims")
        defer { store.directory.remove() }
        let queue = store.queue { $0.leaseMilliseconds = 10_000 }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 4, durationMilliseconds: 35_000, payload: "{}")).job
        let stale = try #require(try await queue.claim(owner: "worker-1"))

        // The first attempt hangs past its lease; the rescue puts the job back and another
        // slot of the same process claims it.
        store.clock.advance(byMilliseconds: 10_001)
        #expect(try await queue.rescueExpiredLeases() == 1)
        let current = try #require(try await queue.claim(owner: "worker-1"))
        #expect(current.id == job.id && current.attempt == 2 && current.claim.owner == stale.claim.owner)
        #expect(current.claim != stale.claim)

        #expect(try await queue.heartbeat(stale.claim, stage: "synthesize", progress: 0.9) == .leaseLost)
        #expect(try await queue.succeed(stale.claim) == .leaseLost)
        #expect(try await queue.fail(stale.claim, errorCode: "provider_rejected", errorMessage: "no") == .leaseLost)
        #expect(try await queue.retry(stale.claim, errorCode: "provider_unavailable", errorMessage: "503") == .leaseLost)
        #expect(try await queue.settleCanceled(stale.claim) == .leaseLost)
        #expect(try await queue.giveBack(stale.claim) == .leaseLost)
        let untouched = try #require(try await queue.job(id: job.id))
        #expect(untouched.state == .running && untouched.attempts == 2 && untouched.stage == nil)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 6, held: 4, received: 10, spent: 0))
        #expect(try await store.violations() == [])

        guard case .extended = try await queue.heartbeat(current.claim, stage: "synthesize", progress: 0.5) else {
            Issue.record("the current claim's heartbeat was refused"); return
        }
        #expect(try await queue.succeed(current.claim) == .settled(.succeeded))
        #expect(try await queue.succeed(stale.claim) == .leaseLost)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 6, held: 0, received: 10, spent: 4))
        #expect(try await store.violations() == [])
    }

    @Test func aStaleAttemptCannotRetryAJobAnotherAttemptAlreadyRequeued() async throws {
        let store = try await TestStore.make("auris-claims")
        defer { store.directory.remove() }
        let queue = store.queue { configuration in
            configuration.leaseMilliseconds = 10_000
            configuration.retry = RetryPolicy(baseMilliseconds: 1_000, capMilliseconds: 1_000, jitter: { 1 })
        }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}")).job
        let stale = try #require(try await queue.claim(owner: "worker-1"))
        store.clock.advance(byMilliseconds: 10_001)
        #expect(try await queue.rescueExpiredLeases() == 1)
        let second = try #require(try await queue.claim(owner: "worker-1"))

        // The second attempt fails for a passing reason and its retry is claimed again:
        // the first attempt, still alive, must neither spend a third attempt nor fail it.
        #expect(try await queue.retry(second.claim, errorCode: "provider_unavailable", errorMessage: "503")
            == .retryScheduled(runAtMilliseconds: store.clock.nowMilliseconds + 1_000))
        #expect(try await queue.retry(stale.claim, errorCode: "provider_unavailable", errorMessage: "503") == .leaseLost)
        store.clock.advance(byMilliseconds: 1_000)
        let third = try #require(try await queue.claim(owner: "worker-1"))
        #expect(third.attempt == 3)
        #expect(try await queue.fail(stale.claim, errorCode: "provider_rejected", errorMessage: "no") == .leaseLost)
        #expect(try await queue.fail(second.claim, errorCode: "provider_rejected", errorMessage: "no") == .leaseLost)
        #expect(try await queue.job(id: job.id)?.state == .running)
        #expect(try await queue.succeed(third.claim) == .settled(.succeeded))
        #expect(try await store.accounts.balance(of: user) == Balance(available: 7, held: 0, received: 10, spent: 3))
        #expect(try await store.violations() == [])
    }
}

/// Jobs running when the claim token arrives (migration queue.3) are still held by a
/// claim: a rescue after the upgrade takes them back, and the ledger stays whole.
@Suite(.timeLimit(.minutes(5))) struct ClaimTokenUpgradeTests {
    @Test func aJobRunningAtTheUpgradeIsRescuedAndRunsAgain() async throws {
        let directory = try TemporaryDirectory("auris-claim-upgrade")
        defer { directory.remove() }
        let url = try await TestPostgreSQL.emptyDatabaseURL()
        let clock = ManualClock()
        let older = TestStore.migrations.filter { $0.identifier != "queue.3.claim_token" }
        #expect(older.count == TestStore.migrations.count - 1)
        let before = try await AurisStore.open(dataDirectory: directory.path, databaseURL: url, migrations: older)
        let user = try await Accounts(database: before, clock: clock).create(name: "Ada", signupCredits: 10).id
        let job = try await JobQueue(database: before, clock: clock)
            .enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}")).job
        // Claimed as the code before the upgrade did: an owner, and no token.
        let now = clock.nowMilliseconds
        try await before.writeLockingRows { db in
            try db.execute(
                """
                UPDATE jobs SET state = 'running', lease_owner = 'worker-old', lease_expires_at_ms = ?, attempts = 1,
                    started_at_ms = ?, updated_at_ms = ?
                WHERE id = ? AND state = 'queued'
                """,
                now + 1_000, now, now, job.id)
            try Lanes(db: db).adjust(account: user.rawValue, queuedDelta: -1, runningDelta: 1, servedAtMilliseconds: now)
        }

        let after = try await AurisStore.open(dataDirectory: directory.path, databaseURL: url, migrations: TestStore.migrations)
        let violations = { try await AurisStore.violations(in: after) }
        #expect(try await violations() == [])
        clock.advance(byMilliseconds: 1_001)
        let queue = JobQueue(database: after, clock: clock)
        #expect(try await queue.rescueExpiredLeases() == 1)
        let again = try #require(try await queue.claim(owner: "worker-new"))
        #expect(again.id == job.id && again.attempt == 2)
        #expect(try await queue.succeed(again.claim) == .settled(.succeeded))
        #expect(try await Accounts(database: after, clock: clock).balance(of: user)
            == Balance(available: 7, held: 0, received: 10, spent: 3))
        #expect(try await violations() == [])
    }
}
