import ArgumentParser
import Billing
import Database
import Foundation
import Queue

extension QueueBenchmark {
    /// A fresh database (a file, or the PostgreSQL database `--database-url` names) with
    /// `accounts` funded accounts, as both modes use it.
    struct BenchStore {
        let directory: String
        let databaseURL: String?
        let configuration: SQLiteDatabase.Configuration
        let database: any SQLDatabase
        let users: [AccountID]
        let queueConfiguration: JobQueue.Configuration
        let producer: JobQueue

        /// Another connection (or pool) on the same database, as a worker process would have.
        func workerQueue() async throws -> JobQueue {
            JobQueue(
                database: try await AurisStore.open(dataDirectory: directory, databaseURL: databaseURL, configuration: configuration),
                configuration: queueConfiguration)
        }

        /// Enqueues `total` one-credit jobs from `producerCount` concurrent requests.
        func enqueueAll(total: Int, producerCount: Int) async throws {
            let producer = producer, users = users
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<producerCount {
                    group.addTask {
                        for index in stride(from: lane, to: total, by: producerCount) {
                            _ = try await producer.enqueue(EnqueueRequest(
                                account: users[index % users.count], credits: 1, durationMilliseconds: 5_000, payload: "{}"))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        /// Throws when a ledger or queue invariant is broken.
        func verify() async throws {
            let violations = try await AurisStore.violations(in: database)
            guard violations.isEmpty else { throw ValidationError("invariants broken: \(violations)") }
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    func makeStore() async throws -> BenchStore {
        let directory = NSTemporaryDirectory() + "auris-bench-queue-\(UUID().uuidString.prefix(8))"
        var configuration = SQLiteDatabase.Configuration()
        configuration.synchronous = synchronous
        let database = try await AurisStore.open(dataDirectory: directory, databaseURL: databaseURL, configuration: configuration)
        let users = try await (0..<accounts).asyncMap { index in
            try await Accounts(database: database).create(name: "bench\(index)", signupCredits: Int64(jobs)).id
        }
        var queueConfiguration = JobQueue.Configuration()
        queueConfiguration.maxQueuedPerAccount = jobs
        queueConfiguration.maxRunningPerAccount = 1_000
        return BenchStore(
            directory: directory, databaseURL: databaseURL, configuration: configuration, database: database, users: users,
            queueConfiguration: queueConfiguration,
            producer: JobQueue(database: database, configuration: queueConfiguration))
    }
}
