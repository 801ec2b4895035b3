import AurisTestSupport
import Billing
import Database
import Foundation
import Queue
import Synchronization
import Testing

/// Real concurrency: many tasks on several connections, and several OS processes, on one
/// database file.
@Suite(.timeLimit(.minutes(5))) struct ConcurrencyTests {
    @Test func racingTasksOnManyConnectionsNeverOverspend() async throws {
        let store = try await TestStore.make("auris-race")
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 25).id
        var connections: [any SQLDatabase] = []
        for _ in 0..<6 { connections.append(try await store.reopen()) }
        let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, connection) in connections.enumerated() {
                var configuration = JobQueue.Configuration()
                configuration.maxQueuedPerAccount = 1_000
                let queue = JobQueue(database: connection, configuration: configuration)
                for task in 0..<12 {
                    let credits: Int64 = (index + task) % 3 == 0 ? 2 : 1
                    group.addTask {
                        do {
                            _ = try await queue.enqueue(EnqueueRequest(
                                account: user, credits: credits, durationMilliseconds: credits * 10_000, payload: "{}"))
                            return true
                        } catch is LedgerError {
                            return false
                        }
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let balance = try await store.accounts.balance(of: user)
        #expect(balance.available >= 0 && balance.available <= 1)
        #expect(balance.held + balance.available == 25)
        let jobs = try await store.queue().jobs(of: user, limit: 100, before: nil)
        #expect(jobs.count == accepted)
        #expect(jobs.reduce(0) { $0 + $1.credits } == balance.held)
        #expect(try await store.violations() == [])
    }

    @Test func severalProcessesRacingForOneBalanceGetExactlyTheAffordableNumber() async throws {
        let store = try await TestStore.make("auris-processes")
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 30).id
        let bench = try ExecutableLocator.path(of: "auris-bench")
        let startAt = Int64((Date().timeIntervalSince1970 + 1.5) * 1_000)
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await runProcess(bench, [
                        "contend", "--data-dir", store.directory.path, "--account", "\(user.rawValue)",
                        "--jobs", "20", "--credits", "1", "--start-at", "\(startAt)",
                    ] + (store.databaseURL.map { ["--database-url", $0] } ?? []))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var accepted = 0
        for result in results {
            #expect(result.status == 0, "\(result.standardError)")
            let counts = try JSONDecoder().decode([String: Int].self, from: Data(result.standardOutput.utf8))
            accepted += counts["accepted"] ?? 0
        }
        #expect(accepted == 30)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 0, held: 30, received: 30, spent: 0))
        #expect(try await store.violations() == [])
    }

    @Test func concurrentClaimersRunEveryJobExactlyOnce() async throws {
        let store = try await TestStore.make("auris-claims")
        defer { store.directory.remove() }
        var configuration = JobQueue.Configuration()
        configuration.maxQueuedPerAccount = 1_000
        configuration.maxRunningPerAccount = 100
        let users = [
            try await store.accounts.create(name: "A", signupCredits: 200).id,
            try await store.accounts.create(name: "B", signupCredits: 200).id,
        ]
        let producer = JobQueue(database: store.database, configuration: configuration)
        for index in 0..<160 {
            _ = try await producer.enqueue(EnqueueRequest(
                account: users[index % 2], credits: 1, durationMilliseconds: 10_000, payload: "{}"))
        }
        let seen = ClaimLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                let queue = JobQueue(database: try await store.reopen(), configuration: configuration)
                for slot in 0..<6 {
                    group.addTask {
                        let owner = "w\(worker)-\(slot)"
                        while let job = try await queue.claim(owner: owner) {
                            seen.record(job.id)
                            #expect(try await queue.succeed(job.claim) == .settled(.succeeded))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let claims = seen.counts
        #expect(claims.count == 160)
        #expect(claims.values.allSatisfy { $0 == 1 })
        for user in users {
            #expect(try await store.accounts.balance(of: user) == Balance(available: 120, held: 0, received: 200, spent: 80))
        }
        #expect(try await store.violations() == [])
    }
}

/// How many times each job was claimed, shared by the claiming tasks.
private final class ClaimLog: Sendable {
    private let storage = Mutex<[String: Int]>([:])
    var counts: [String: Int] { storage.withLock { $0 } }
    func record(_ id: String) { storage.withLock { $0[id, default: 0] += 1 } }
}
