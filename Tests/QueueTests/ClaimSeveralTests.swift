import AurisTestSupport
import Billing
import Database
import Queue
import Synchronization
import Testing

/// Several idle slots filled by one claim, and a success that claims the slot's next job
/// in its own transaction.
@Suite(.timeLimit(.minutes(5))) struct ClaimSeveralTests {
    @Test func oneClaimFillsSlotsFairlyWithinEachAccountsRunningLimit() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in configuration.maxRunningPerAccount = 2 }
        var users: [AccountID] = []
        for name in ["A", "B", "C"] { users.append(try await store.accounts.create(name: name, signupCredits: 10).id) }
        for user in users {
            for _ in 0..<3 {
                _ = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
            }
        }
        let claimed = try await queue.claim(owner: "w", limit: 10)
        // Two per account (the running limit), the first three from three accounts.
        #expect(claimed.count == 6)
        #expect(Set(claimed.map(\.id)).count == 6)
        #expect(Set(claimed.prefix(3).map(\.account)) == Set(users))
        for user in users { #expect(claimed.filter { $0.account == user }.count == 2) }
        #expect(try await queue.claim(owner: "w", limit: 10).isEmpty)
        for user in users {
            #expect(try await store.accounts.balance(of: user) == Balance(available: 7, held: 3, received: 10, spent: 0))
        }
        #expect(try await store.violations() == [])
    }

    @Test func aSuccessClaimsTheFreedSlotsNextJobAndSettlesOnce() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue { configuration in configuration.maxRunningPerAccount = 1 }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let first = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 1_000, payload: "{}")).job
        store.clock.advance(byMilliseconds: 1)
        let second = try await queue.enqueue(EnqueueRequest(account: user, credits: 2, durationMilliseconds: 1_000, payload: "{}")).job
        let running = try #require(try await queue.claim(owner: "w"))
        #expect(running.id == first.id)
        // The account's one running slot is taken: nothing more until the first ends.
        #expect(try await queue.claim(owner: "w") == nil)

        let (settlement, next) = try await queue.succeed(running.claim, claimingNextFor: "w")
        #expect(settlement == .settled(.succeeded))
        #expect(next?.id == second.id && next?.attempt == 1 && next?.claim.owner == "w")
        #expect(try await queue.job(id: second.id)?.state == .running)
        // The same claim settles nothing twice, with or without a next claim.
        #expect(try await queue.succeed(running.claim) == .leaseLost)
        let (again, none) = try await queue.succeed(running.claim, claimingNextFor: "w")
        #expect(again == .leaseLost && none == nil)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 5, held: 2, received: 10, spent: 3))

        let last = try #require(next)
        let (lastSettlement, nothing) = try await queue.succeed(last.claim, claimingNextFor: "w")
        #expect(lastSettlement == .settled(.succeeded) && nothing == nil)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 5, held: 0, received: 10, spent: 5))
        #expect(try await store.violations() == [])
    }

    @Test func concurrentClaimsOfSeveralAndSuccessesWithNextRunEveryJobOnce() async throws {
        let store = try await TestStore.make("auris-claim-several")
        defer { store.directory.remove() }
        var configuration = JobQueue.Configuration()
        configuration.maxQueuedPerAccount = 1_000
        configuration.maxRunningPerAccount = 3
        var users: [AccountID] = []
        for index in 0..<4 { users.append(try await store.accounts.create(name: "U\(index)", signupCredits: 100).id) }
        let producer = JobQueue(database: store.database, configuration: configuration)
        for index in 0..<200 {
            _ = try await producer.enqueue(EnqueueRequest(
                account: users[index % users.count], credits: 1, durationMilliseconds: 10_000, payload: "{}"))
        }
        let log = RunLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                let database = try await store.reopen()
                let queue = JobQueue(database: database, configuration: configuration)
                for slot in 0..<4 {
                    group.addTask {
                        let owner = "w\(worker)"
                        var batch: [ClaimedJob] = []
                        while true {
                            if batch.isEmpty { batch = try await queue.claim(owner: owner, limit: 1 + (worker + slot) % 3) }
                            guard let job = batch.popLast() else {
                                // Empty, or every due account at its running limit while
                                // other slots hold its jobs: done once nothing is left.
                                if log.succeeded == 200 { return }
                                try await Task.sleep(for: .milliseconds(2))
                                continue
                            }
                            log.claimed(job.id)
                            let (settlement, next) = try await queue.succeed(job.claim, claimingNextFor: owner)
                            #expect(settlement == .settled(.succeeded))
                            log.recordSuccess()
                            if let next { batch.append(next) }
                            let mostRunning = try await database.read { db in
                                try db.queryFirst(
                                    "SELECT count(*) AS running FROM jobs WHERE state = 'running' GROUP BY account_id ORDER BY 1 DESC LIMIT 1"
                                ) { row in row["running"] as Int } ?? 0
                            }
                            #expect(mostRunning <= 3)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(log.claims.count == 200)
        #expect(log.claims.values.allSatisfy { $0 == 1 })
        for user in users {
            #expect(try await store.accounts.balance(of: user) == Balance(available: 50, held: 0, received: 100, spent: 50))
        }
        #expect(try await store.violations() == [])
    }
}

/// How many times each job was run, and how many succeeded, as the claiming tasks saw it.
private final class RunLog: Sendable {
    private let runs = Mutex<[String: Int]>([:])
    private let successes = Atomic<Int>(0)
    var claims: [String: Int] { runs.withLock { $0 } }
    var succeeded: Int { successes.load(ordering: .relaxed) }

    func claimed(_ id: String) { runs.withLock { $0[id, default: 0] += 1 } }
    func recordSuccess() { successes.add(1, ordering: .relaxed) }
}
