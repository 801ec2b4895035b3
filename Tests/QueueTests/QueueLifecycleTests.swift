import AurisTestSupport
import Billing
import Database
import Queue
import Testing

@Suite(.timeLimit(.minutes(5))) struct QueueLifecycleTests {
    @Test func enqueueHoldsCreditsAndSucceedCapturesThem() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let outcome = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}"))
        guard case .created(let job, let available) = outcome else { Issue.record("not created"); return }
        #expect(job.state == .queued && available == 7)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 7, held: 3, received: 10, spent: 0))

        let claimed = try #require(try await queue.claim(owner: "w1"))
        #expect(claimed.id == job.id && claimed.attempt == 1)
        #expect(try await queue.succeed(claimed.claim) == .settled(.succeeded))
        #expect(try await queue.succeed(claimed.claim) == .leaseLost)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 7, held: 0, received: 10, spent: 3))
        let finished = try #require(try await queue.job(id: job.id, account: user))
        #expect(finished.state == .succeeded && finished.progress == 1 && finished.finishedAtMilliseconds != nil)
        #expect(try await store.violations() == [])
    }

    @Test func aPermanentFailureReleasesEveryCredit() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 4, durationMilliseconds: 31_000, payload: "{}")).job
        let claimed = try #require(try await queue.claim(owner: "w1"))
        #expect(try await queue.fail(claimed.claim, errorCode: "provider_rejected", errorMessage: "no") == .settled(.failed))
        #expect(try await store.accounts.balance(of: user) == Balance(available: 10, held: 0, received: 10, spent: 0))
        let failed = try #require(try await queue.job(id: job.id))
        #expect(failed.errorCode == "provider_rejected" && failed.errorMessage == "no")
        #expect(try await store.violations() == [])
    }

    @Test func transientFailuresBackOffThenGiveUp() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in
            configuration.maxAttempts = 3
            configuration.retry = RetryPolicy(baseMilliseconds: 1_000, capMilliseconds: 60_000, jitter: { 1 })
        }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 2, durationMilliseconds: 12_000, payload: "{}")).job

        let firstClaim = try #require(try await queue.claim(owner: "w1"))
        let first = try await queue.retry(firstClaim.claim, errorCode: "provider_unavailable", errorMessage: "503")
        #expect(first == .retryScheduled(runAtMilliseconds: store.clock.nowMilliseconds + 1_000))
        #expect(try await queue.claim(owner: "w1") == nil)
        store.clock.advance(byMilliseconds: 1_000)
        let secondClaim = try #require(try await queue.claim(owner: "w1"))
        #expect(secondClaim.id == job.id && secondClaim.attempt == 2)

        // Retry-After longer than the backoff wins.
        let second = try await queue.retry(
            secondClaim.claim, errorCode: "provider_rate_limited", errorMessage: "429", retryAfterMilliseconds: 30_000)
        #expect(second == .retryScheduled(runAtMilliseconds: store.clock.nowMilliseconds + 30_000))
        store.clock.advance(byMilliseconds: 29_999)
        #expect(try await queue.claim(owner: "w1") == nil)
        store.clock.advance(byMilliseconds: 1)
        let lastClaim = try #require(try await queue.claim(owner: "w1"))
        #expect(lastClaim.attempt == 3)
        #expect(try await store.accounts.balance(of: user).held == 2)

        let last = try await queue.retry(lastClaim.claim, errorCode: "provider_unavailable", errorMessage: "503")
        #expect(last == .settled(.failed))
        #expect(try await store.accounts.balance(of: user) == Balance(available: 10, held: 0, received: 10, spent: 0))
        #expect(try await queue.job(id: job.id)?.errorMessage?.contains("gave up after 3 attempts") == true)
        #expect(try await store.violations() == [])
    }

    @Test func backoffGrowsExponentiallyUpToTheCap() {
        let policy = RetryPolicy(baseMilliseconds: 1_000, capMilliseconds: 10_000, jitter: { 1 })
        #expect((1...6).map { policy.delayMilliseconds(afterAttempts: $0) } == [1_000, 2_000, 4_000, 8_000, 10_000, 10_000])
        let halved = RetryPolicy(baseMilliseconds: 1_000, capMilliseconds: 10_000, jitter: { 0.5 })
        #expect(halved.delayMilliseconds(afterAttempts: 2) == 1_000)
        #expect(policy.delayMilliseconds(afterAttempts: 1, retryAfterMilliseconds: 999_999) == 10_000)
        #expect(policy.delayMilliseconds(afterAttempts: 200) == 10_000)
    }

    @Test func aRescuedJobCannotBeSettledByItsOldOwner() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { $0.leaseMilliseconds = 10_000 }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 5, durationMilliseconds: 45_000, payload: "{}")).job
        let old = try #require(try await queue.claim(owner: "old")).claim

        store.clock.advance(byMilliseconds: 5_000)
        #expect(try await queue.rescueExpiredLeases() == 0)
        guard case .extended = try await queue.heartbeat(old, stage: "transcribe", progress: 0.2) else {
            Issue.record("the owner's heartbeat was refused"); return
        }
        store.clock.advance(byMilliseconds: 10_001)
        #expect(try await queue.rescueExpiredLeases() == 1)
        #expect(try await queue.heartbeat(old) == .leaseLost)

        let again = try #require(try await queue.claim(owner: "new"))
        #expect(again.attempt == 2 && again.stage == "transcribe")
        #expect(try await queue.succeed(old) == .leaseLost)
        #expect(try await queue.fail(old, errorCode: "x", errorMessage: "x") == .leaseLost)
        #expect(try await queue.retry(old, errorCode: "x", errorMessage: "x") == .leaseLost)
        #expect(try await queue.settleCanceled(old) == .leaseLost)
        #expect(try await store.accounts.balance(of: user).held == 5)
        #expect(try await queue.succeed(again.claim) == .settled(.succeeded))
        #expect(try await store.accounts.balance(of: user) == Balance(available: 5, held: 0, received: 10, spent: 5))
        let holdStates = try await store.database.read { db in try Ledger(db).holdState(job.holdID) }
        #expect(holdStates == .posted)
        #expect(try await store.violations() == [])
    }

    @Test func aRescueWithNoAttemptsLeftFailsAndReleases() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in
            configuration.leaseMilliseconds = 1_000
            configuration.maxAttempts = 1
        }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 3).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 30_000, payload: "{}")).job
        _ = try await queue.claim(owner: "w1")
        store.clock.advance(byMilliseconds: 1_001)
        #expect(try await queue.rescueExpiredLeases() == 1)
        let failed = try #require(try await queue.job(id: job.id))
        #expect(failed.state == .failed && failed.errorCode == "worker_lost")
        #expect(try await store.accounts.balance(of: user).available == 3)
        #expect(try await store.violations() == [])
    }

    @Test func cancelReleasesAQueuedJobAndStopsARunningOne() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let ada = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let bob = try await store.accounts.create(name: "Bob", signupCredits: 10).id
        let running = try await queue.enqueue(EnqueueRequest(account: ada, credits: 2, durationMilliseconds: 20_000, payload: "{}")).job
        let claimed = try #require(try await queue.claim(owner: "w1"))
        let waiting = try await queue.enqueue(EnqueueRequest(account: ada, credits: 3, durationMilliseconds: 30_000, payload: "{}")).job

        #expect(try await queue.cancel(jobID: waiting.id, account: bob) == .notFound)
        #expect(try await queue.cancel(jobID: waiting.id, account: ada) == .canceled)
        #expect(try await queue.cancel(jobID: waiting.id, account: ada) == .alreadyFinished(.canceled))
        #expect(try await store.accounts.balance(of: ada).available == 8)

        #expect(try await queue.cancel(jobID: running.id, account: ada) == .cancelRequested)
        #expect(try await queue.heartbeat(claimed.claim) == .extended(
            untilMilliseconds: store.clock.nowMilliseconds + queue.configuration.leaseMilliseconds, cancelRequested: true))
        #expect(try await queue.settleCanceled(claimed.claim) == .settled(.canceled))
        #expect(try await store.accounts.balance(of: ada) == Balance(available: 10, held: 0, received: 10, spent: 0))
        #expect(try await queue.cancel(jobID: running.id, account: ada) == .alreadyFinished(.canceled))
        #expect(try await store.violations() == [])
    }

    @Test func givingBackALeaseDoesNotCountTheAttempt() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}")).job
        let claimed = try #require(try await queue.claim(owner: "w1"))
        #expect(try await queue.giveBack(claimed.claim) == .retryScheduled(runAtMilliseconds: store.clock.nowMilliseconds))
        #expect(try await queue.claim(owner: "w2")?.attempt == 1)
        #expect(try await queue.releaseLeases(owner: "w2") == 1)
        let back = try #require(try await queue.job(id: job.id))
        #expect(back.state == .queued && back.attempts == 1 && back.leaseOwner == nil)
        #expect(try await store.violations() == [])
    }

    @Test func idempotencyKeysReplayOrConflictAndHoldOnce() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let ada = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let bob = try await store.accounts.create(name: "Bob", signupCredits: 10).id
        let request = EnqueueRequest(
            account: ada, credits: 2, durationMilliseconds: 15_000, payload: "{}", idempotencyKey: "k1", requestFingerprint: "f1")
        let first = try await queue.enqueue(request)
        let second = try await queue.enqueue(request)
        #expect(second == .replayed(first.job))
        var changed = request
        changed.requestFingerprint = "f2"
        await #expect(throws: QueueError.idempotencyConflict(existingJobID: first.job.id)) { try await queue.enqueue(changed) }
        var otherAccount = request
        otherAccount.account = bob
        guard case .created = try await queue.enqueue(otherAccount) else { Issue.record("keys are per account"); return }
        #expect(try await store.accounts.balance(of: ada).available == 8)
        #expect(try await store.violations() == [])
    }

    @Test func limitsOnQueuedAndRunningJobsPerAccount() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in
            configuration.maxQueuedPerAccount = 3
            configuration.maxRunningPerAccount = 2
        }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 100).id
        for _ in 0..<3 {
            _ = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
        }
        await #expect(throws: QueueError.tooManyJobs(limit: 3)) {
            try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
        }
        #expect(try await store.accounts.balance(of: user).held == 3)
        #expect(try await queue.claim(owner: "w") != nil)
        #expect(try await queue.claim(owner: "w") != nil)
        #expect(try await queue.claim(owner: "w") == nil)
        #expect(try await store.violations() == [])
    }

    @Test func oneAccountsBacklogDoesNotStarveAnother() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in
            configuration.maxQueuedPerAccount = 1_000
            configuration.maxRunningPerAccount = 1_000
        }
        let busy = try await store.accounts.create(name: "Busy", signupCredits: 1_000).id
        let small = try await store.accounts.create(name: "Small", signupCredits: 1).id
        for _ in 0..<1_000 {
            _ = try await queue.enqueue(EnqueueRequest(account: busy, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
        }
        store.clock.advance(byMilliseconds: 1)
        let lone = try await queue.enqueue(EnqueueRequest(account: small, credits: 1, durationMilliseconds: 1_000, payload: "{}")).job
        var claimedOrder: [String] = []
        for _ in 0..<3 {
            if let claimed = try await queue.claim(owner: "w") { claimedOrder.append(claimed.id) }
        }
        #expect(claimedOrder.prefix(2).contains(lone.id))
        #expect(try await store.violations() == [])
    }
}
