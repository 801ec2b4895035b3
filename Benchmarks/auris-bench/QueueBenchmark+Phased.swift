import ArgumentParser
import Billing
import Database
import Foundation
import Queue

extension QueueBenchmark {
    /// The peer comparison's workload: `jobs` enqueued with their credit holds by
    /// `producers` concurrent requests, and only then drained — claim, then succeed with
    /// capture — by `workerCount` workers, each on a connection of its own as a worker
    /// process has. Both phases are timed apart.
    func measurePhased(workerCount: Int) async throws -> String {
        let store = try await makeStore()
        defer { store.remove() }
        let total = jobs

        let enqueueStart = ContinuousClock.now
        try await store.enqueueAll(total: total, producerCount: producers)
        let enqueueSeconds = (ContinuousClock.now - enqueueStart).seconds

        let queues = try await (0..<workerCount).asyncMap { _ in try await store.workerQueue() }
        let slotCount = slots
        let drainStart = ContinuousClock.now
        let drained = try await withThrowingTaskGroup(of: Int.self) { group in
            for (worker, queue) in queues.enumerated() {
                // As a worker does: its idle slots filled by one claim, then each slot's
                // success and its next claim in one transaction.
                let owner = "bench-\(worker)"
                let first = try await queue.claim(owner: owner, limit: slotCount)
                for slot in 0..<slotCount {
                    let initial = slot < first.count ? first[slot] : nil
                    group.addTask {
                        var count = 0
                        var next = initial
                        if next == nil { next = try await queue.claim(owner: owner) }
                        // Nothing is enqueued while draining: the first empty claim means done.
                        while let job = next {
                            let (settlement, following) = try await queue.succeed(job.claim, claimingNextFor: owner)
                            guard case .settled(.succeeded) = settlement else {
                                throw ValidationError("job \(job.id) was not settled")
                            }
                            count += 1
                            next = following
                            // On PostgreSQL a settle's claim skips lanes other claims hold.
                            if next == nil { next = try await queue.claim(owner: owner) }
                        }
                        return count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let drainSeconds = (ContinuousClock.now - drainStart).seconds
        guard drained == total else { throw ValidationError("drained \(drained) of \(total) jobs") }
        try await store.verify()
        return String(
            format: #"{"bench":"queue","system":"auris",%@,"mode":"phased","workers":%d,"slots_per_worker":%d,"jobs":%d,"producers":%d,"jobs_per_second":%.0f,"enqueue_per_second":%.0f}"#,
            backendFields, workerCount, slots, total, producers, Double(total) / drainSeconds, Double(total) / enqueueSeconds)
    }
}
