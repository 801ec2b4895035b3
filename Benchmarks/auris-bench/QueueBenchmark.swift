import ArgumentParser
import Billing
import Database
import Foundation
import Synchronization
import Queue

/// The full cycle of a job on a file database — enqueue with reservation, claim,
/// succeed with capture — with several claiming workers, each on its own connection as
/// a worker process would be.
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Full job cycles per second on a file database.")

    @Option(help: "Jobs to run through the full cycle.")
    var jobs: Int = 20_000

    @Option(help: "Claiming workers (comma-separated list runs each).")
    var workers: String = "1,4"

    @Option(help: "Accounts the jobs are spread over.")
    var accounts: Int = 16

    @Option(help: "Job slots per worker (concurrent claim → succeed loops sharing the worker's connection).")
    var slots: Int = 16

    @Option(help: "Concurrent enqueue requests, as an API process under load would have.")
    var producers: Int = 16

    @Option(help: "SQLite synchronous level: FULL or NORMAL.")
    var synchronous: String = "FULL"

    @Flag(help: "Enqueue every job first, then drain them (the workload of the peer comparison).")
    var phased = false

    @Option(name: .customLong("database-url"), help: "A fresh PostgreSQL database instead of an SQLite file.")
    var databaseURL: String?

    /// The JSON fields that say which database ran: its name and commit durability.
    var backendFields: String {
        databaseURL == nil
            ? #""backend":"sqlite","synchronous":"\#(synchronous)""#
            : #""backend":"postgresql","synchronous":"on""#
    }

    func run() async throws {
        guard ["FULL", "NORMAL"].contains(synchronous) else { throw ValidationError("--synchronous is FULL or NORMAL") }
        for workerCount in workers.split(separator: ",").compactMap({ Int($0) }) {
            let result = try await phased ? measurePhased(workerCount: workerCount) : measure(workerCount: workerCount)
            print(result)
        }
    }

    func measure(workerCount: Int) async throws -> String {
        let store = try await makeStore()
        defer { store.remove() }
        let total = jobs
        let producerCount = producers

        let started = ContinuousClock.now
        let enqueueDuration = try await withThrowingTaskGroup(of: Duration.self) { group in
            group.addTask {
                let enqueueStart = ContinuousClock.now
                try await store.enqueueAll(total: total, producerCount: producerCount)
                return ContinuousClock.now - enqueueStart
            }
            let done = Counter()
            for worker in 0..<workerCount {
                // Each worker is a connection of its own, as a worker process has.
                let queue = try await store.workerQueue()
                for slot in 0..<slots {
                group.addTask {
                    let owner = "bench-\(worker)-\(slot)"
                    var next: ClaimedJob?
                    while done.value < total {
                        if next == nil { next = try await queue.claim(owner: owner) }
                        guard let job = next else {
                            try await Task.sleep(for: .microseconds(200))
                            continue
                        }
                        next = try await queue.succeed(job.claim, claimingNextFor: owner).next
                        done.increment()
                    }
                    return .zero
                }
                }
            }
            var enqueueDuration = Duration.zero
            for try await duration in group where duration > .zero { enqueueDuration = duration }
            return enqueueDuration
        }
        let elapsed = ContinuousClock.now - started
        try await store.verify()
        let seconds = elapsed.seconds
        let enqueueSeconds = enqueueDuration.seconds
        return String(
            format: #"{"bench":"queue","system":"auris",%@,"workers":%d,"slots_per_worker":%d,"jobs":%d,"jobs_per_second":%.0f,"enqueue_per_second":%.0f}"#,
            backendFields, workerCount, slots, total, Double(total) / seconds, Double(total) / enqueueSeconds)
    }
}

/// A count shared by the worker tasks.
final class Counter: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func increment() { storage.withLock { $0 += 1 } }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
