import AurisTestSupport
import Billing
import Database
import Queue
import Testing

/// A seeded random walk through every queue and ledger operation, checked after every
/// step against the invariants and against a model of what each account should hold.
@Suite(.timeLimit(.minutes(5))) struct RandomizedOperationsTests {
    static let seeds: [UInt64] = [1, 5, 7, 20_261_125]

    @Test(arguments: seeds)
    func invariantsHoldAfterEveryStep(seed: UInt64) async throws {
        let store = try await TestStore.make("auris-random")
        defer { store.directory.remove() }
        var walk = RandomWalk(store: store, seed: seed)
        try await walk.setUp()
        // Each step is audited in full; on PostgreSQL every query is a round trip, so its
        // walks are shorter (each seed still settles dozens of jobs).
        let steps = store.databaseURL == nil ? 2_000 : 300
        for step in 0..<steps {
            let operation = try await walk.step()
            let violations = try await store.violations()
            #expect(violations == [], "seed \(seed), step \(step) (\(operation))")
            let mismatches = try await walk.modelMismatches()
            #expect(mismatches == [], "seed \(seed), step \(step) (\(operation))")
            if !violations.isEmpty || !mismatches.isEmpty { return }
        }
        #expect(walk.settledCount > steps / 40, "the walk settled too few jobs to mean anything (seed \(seed))")
    }
}

/// What the test believes about one job, kept from the operations' own rules (never
/// read back from the database under test).
private struct ModelJob {
    var account: AccountID
    var credits: Int64
    var state: JobState
    var owner: String?
    /// The claim that holds the job while it runs, and the one before it, which must
    /// settle nothing any more.
    var claim: JobClaim?
    var staleClaim: JobClaim?
    var attempts = 0
    var runAtMilliseconds: Int64
    var leaseExpiresAtMilliseconds: Int64?
    var cancelRequested = false

    /// Where a job taken back from a dead or expired worker goes: canceled when a cancel
    /// was asked for, failed when its attempts are spent, else queued and due at once.
    mutating func takeBack(at nowMilliseconds: Int64) {
        releaseClaim()
        if cancelRequested {
            state = .canceled
        } else if attempts >= RandomWalk.maxAttempts {
            state = .failed
        } else {
            state = .queued
            runAtMilliseconds = nowMilliseconds
        }
    }

    /// The job leaves running: its claim holds it no more.
    mutating func releaseClaim() {
        owner = nil
        leaseExpiresAtMilliseconds = nil
        staleClaim = claim
        claim = nil
    }
}

private struct RandomWalk {
    let store: TestStore
    let queue: JobQueue
    var random: SplitMix64
    var users: [AccountID] = []
    var received: [AccountID: Int64] = [:]
    var jobs: [String: ModelJob] = [:]
    /// Job ids in the order they were enqueued: picks follow it, not the ids' random part.
    var enqueued: [String] = []
    var settledCount = 0
    let owners = ["w1", "w2", "w3"]
    static let leaseMilliseconds: Int64 = 5_000
    static let maxAttempts = 3
    static let maxRunningPerAccount = 2

    init(store: TestStore, seed: UInt64) {
        self.store = store
        random = SplitMix64(seed: seed)
        queue = store.queue { configuration in
            configuration.leaseMilliseconds = Self.leaseMilliseconds
            configuration.maxAttempts = Self.maxAttempts
            configuration.maxQueuedPerAccount = 8
            configuration.maxRunningPerAccount = Self.maxRunningPerAccount
            configuration.retry = RetryPolicy(baseMilliseconds: 500, capMilliseconds: 4_000, jitter: { 1 })
        }
    }

    mutating func setUp() async throws {
        for index in 0..<3 {
            let credits = Int64(random.next(upTo: 25))
            let id = try await store.accounts.create(name: "user\(index)", signupCredits: credits).id
            users.append(id)
            received[id] = credits
        }
    }

    mutating func step() async throws -> String {
        let now = store.clock.nowMilliseconds
        switch random.next(upTo: 100) {
        case 0..<30:
            let account = users[random.next(upTo: users.count)]
            let credits = Int64(1 + random.next(upTo: 5))
            do {
                let outcome = try await queue.enqueue(
                    EnqueueRequest(account: account, credits: credits, durationMilliseconds: credits * 10_000, payload: "{}"))
                jobs[outcome.job.id] = ModelJob(account: account, credits: credits, state: .queued, runAtMilliseconds: now)
                enqueued.append(outcome.job.id)
                return "enqueue \(credits)"
            } catch let error as LedgerError {
                #expect(error.shortfall != nil && error.shortfall!.available < credits)
                #expect(error.shortfall!.available == expectedAvailable(account))
                return "enqueue refused: \(error)"
            } catch let error as QueueError where error.queuedJobsLimit != nil {
                #expect(jobs.values.filter { $0.account == account && $0.state == .queued }.count >= 8)
                return "enqueue refused: too many"
            }
        case 30..<50:
            let owner = owners[random.next(upTo: owners.count)]
            guard let claimed = try await queue.claim(owner: owner) else {
                let ready = users.filter { claimable(for: $0, at: now) }
                #expect(ready.isEmpty, "nothing was claimed, yet \(ready) had a due job and a free slot")
                return "claim: nothing"
            }
            let job = try #require(jobs[claimed.id])
            #expect(job.state == .queued && job.runAtMilliseconds <= now, "claimed a job that was not due: \(job)")
            #expect(claimable(for: claimed.account, at: now))
            jobs[claimed.id]?.state = .running
            jobs[claimed.id]?.owner = owner
            jobs[claimed.id]?.claim = claimed.claim
            jobs[claimed.id]?.attempts += 1
            jobs[claimed.id]?.leaseExpiresAtMilliseconds = now + Self.leaseMilliseconds
            #expect(claimed.attempt == job.attempts + 1)
            #expect(jobs.values.filter { $0.account == claimed.account && $0.state == .running }.count <= Self.maxRunningPerAccount)
            return "claim \(claimed.id) by \(owner)"
        case 50..<75:
            guard let (id, job) = pickJob(in: .running) else { return "settle: nothing running" }
            let rightOwner = random.next(upTo: 10) < 8
            // The wrong claim is the job's previous attempt's, whose lease was taken back.
            guard let claim = rightOwner ? job.claim : job.staleClaim else { return "settle by a stale claim: none" }
            let choice = random.next(upTo: 4)
            let outcome: Settlement
            switch choice {
            case 0, 1: outcome = try await queue.succeed(claim)
            case 2: outcome = try await queue.fail(claim, errorCode: "provider_rejected", errorMessage: "no")
            default: outcome = try await queue.retry(claim, errorCode: "provider_unavailable", errorMessage: "503")
            }
            guard rightOwner else {
                #expect(outcome == .leaseLost)
                return "settle by a stale claim"
            }
            let expected: Settlement
            switch choice {
            case 0, 1: expected = .settled(.succeeded)
            case 2: expected = .settled(.failed)
            default:
                // Backoff 500 ms doubled per failed attempt (jitter fixed at 1), or failed
                // when the attempts are spent.
                expected = job.attempts < Self.maxAttempts
                    ? .retryScheduled(runAtMilliseconds: now + (500 << (job.attempts - 1))) : .settled(.failed)
            }
            #expect(outcome == expected, "attempt \(job.attempts) of \(Self.maxAttempts)")
            switch expected {
            case .settled(let state): jobs[id]?.state = state; settledCount += 1
            case .retryScheduled(let runAt): jobs[id]?.state = .queued; jobs[id]?.runAtMilliseconds = runAt
            case .leaseLost: break
            }
            jobs[id]?.releaseClaim()
            return "settle \(id): \(outcome)"
        case 75..<83:
            guard let (id, job) = pickJob(in: nil) else { return "cancel: no jobs" }
            let asOwner = random.next(upTo: 10) < 8
            let account = asOwner ? job.account : users.first { $0 != job.account }!
            let outcome = try await queue.cancel(jobID: id, account: account)
            guard asOwner else {
                #expect(outcome == .notFound)
                return "cancel by another account"
            }
            switch outcome {
            case .canceled: #expect(job.state == .queued); jobs[id]?.state = .canceled; settledCount += 1
            case .cancelRequested: #expect(job.state == .running); jobs[id]?.cancelRequested = true
            case .alreadyFinished(let state): #expect(state == job.state)
            case .notFound: Issue.record("the owner's job was not found")
            }
            return "cancel \(id): \(outcome)"
        case 83..<88:
            guard let (id, job) = pickJob(in: .running) else { return "heartbeat: nothing running" }
            let outcome = try await queue.heartbeat(job.claim!, stage: "synthesize", progress: 0.5)
            let until = now + Self.leaseMilliseconds
            #expect(outcome == .extended(untilMilliseconds: until, cancelRequested: job.cancelRequested))
            jobs[id]?.leaseExpiresAtMilliseconds = until
            return "heartbeat \(id)"
        case 88..<94:
            store.clock.advance(byMilliseconds: Int64(random.next(upTo: 6_000)))
            let later = store.clock.nowMilliseconds
            let expired = jobs.filter { $0.value.state == .running && $0.value.leaseExpiresAtMilliseconds! < later }.keys
            let rescued = try await queue.rescueExpiredLeases()
            #expect(rescued == expired.count)
            for id in expired {
                jobs[id]?.takeBack(at: later)
                if jobs[id]?.state.isFinished == true { settledCount += 1 }
            }
            return "rescue \(rescued) at +\(store.clock.nowMilliseconds - now)"
        case 94..<97:
            let account = users[random.next(upTo: users.count)]
            let credits = Int64(1 + random.next(upTo: 10))
            try await store.accounts.grant(to: account, credits: credits, note: "walk")
            received[account, default: 0] += credits
            return "grant \(credits)"
        default:
            let owner = owners[random.next(upTo: owners.count)]
            let owned = jobs.filter { $0.value.state == .running && $0.value.owner == owner }.keys
            let released = try await queue.releaseLeases(owner: owner)
            #expect(released == owned.count)
            for id in owned {
                jobs[id]?.takeBack(at: now)
                if jobs[id]?.state.isFinished == true { settledCount += 1 }
            }
            return "release \(released) of \(owner)"
        }
    }

    /// Whether a claim may take a job of `account` now: a due queued job and a free slot.
    func claimable(for account: AccountID, at nowMilliseconds: Int64) -> Bool {
        let mine = jobs.values.filter { $0.account == account }
        return mine.contains { $0.state == .queued && $0.runAtMilliseconds <= nowMilliseconds }
            && mine.count { $0.state == .running } < Self.maxRunningPerAccount
    }

    func expectedAvailable(_ account: AccountID) -> Int64 {
        let committed = jobs.values.filter { $0.account == account && ($0.state == .queued || $0.state == .running || $0.state == .succeeded) }
        return (received[account] ?? 0) - committed.reduce(0) { $0 + $1.credits }
    }

    func modelMismatches() async throws -> [String] {
        var found: [String] = []
        for account in users {
            let balance = try await store.accounts.balance(of: account)
            let held = jobs.values.filter { $0.account == account && ($0.state == .queued || $0.state == .running) }
                .reduce(0) { $0 + $1.credits }
            if balance.available != expectedAvailable(account) || balance.held != held {
                found.append("account \(account): ledger says \(balance), model says \(expectedAvailable(account)) available, \(held) held")
            }
        }
        for (id, job) in jobs {
            let stored = try await queue.job(id: id)
            if stored?.state != job.state || stored?.attempts != job.attempts || stored?.cancelRequested != job.cancelRequested
                || stored?.leaseOwner != job.owner
            {
                found.append("job \(id): stored \(String(describing: stored)), model \(job)")
            }
        }
        return found
    }

    mutating func pickJob(in state: JobState?) -> (String, ModelJob)? {
        let candidates = enqueued.filter { state == nil || jobs[$0]?.state == state }
        guard !candidates.isEmpty else { return nil }
        let id = candidates[random.next(upTo: candidates.count)]
        return (id, jobs[id]!)
    }
}
