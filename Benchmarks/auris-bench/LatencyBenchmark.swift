import ArgumentParser
import Billing
import Database
import Dispatch
import Dubbing
import Foundation
import Logging
import Queue
import ServiceLifecycle
import Synchronization
import Worker

/// `auris-bench latency`: how long a job waits between its enqueue and the start of its
/// run, with idle workers, through the real `DubbingWorker` (its slots, its poll and its
/// wake-up socket) and a no-op engine. Jobs are queued one at a time at random gaps, so
/// each finds the workers idle and at a random point of their poll interval.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency", abstract: "Enqueue-to-start latency (p50, p99) with idle workers.")

    @Option(help: "Jobs to time.")
    var jobs: Int = 200

    @Option(help: "Worker processes' worth of DubbingWorkers, each on its own connection.")
    var workers: Int = 2

    @Option(help: "Job slots per worker.")
    var slots: Int = 4

    @Option(help: "Idle slots' poll interval in milliseconds (AURIS_POLL_MS).")
    var pollMilliseconds: Int64 = 500

    @Flag(help: "Send a wake-up after each enqueue, as the API does; without it, workers only poll.")
    var wake = false

    func run() async throws {
        let directory = NSTemporaryDirectory() + "auris-bench-latency-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await AurisStore.open(dataDirectory: directory)
        let account = try await Accounts(database: database).create(name: "latency", signupCredits: Int64(jobs)).id
        let queue = JobQueue(database: database)
        let starts = StartTimes()
        var logger = Logger(label: "auris-bench.latency")
        logger.logLevel = .warning
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for index in 0..<workers {
            var configuration = WorkerConfiguration(workerID: "latency-\(index)", dataDirectory: directory)
            configuration.concurrency = slots
            configuration.pollIntervalMilliseconds = pollMilliseconds
            let worker = DubbingWorker(
                configuration: configuration, database: try await AurisStore.open(dataDirectory: directory),
                queueConfiguration: .init(), engine: StartRecordingEngine(starts: starts), logger: logger)
            services.append(.init(service: worker))
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let wakeups = JobWakeups(dataDirectory: directory)
        let latencies: [Double] = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Let every slot reach its first idle wait.
            try await Task.sleep(for: .milliseconds(300))
            var latencies: [Double] = []
            for index in 0..<jobs {
                latencies.append(try await timeOneJob(index: index, queue: queue, account: account, wakeups: wakeups, starts: starts))
                // A random gap, so that the next job lands anywhere in a poll interval.
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...Int(max(40, pollMilliseconds)))))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return latencies
        }
        let violations = try await AurisStore.violations(in: database)
        guard violations.isEmpty else { throw ValidationError("invariants broken: \(violations)") }
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        print(String(
            format: #"{"bench":"latency","wake":"%@","poll_ms":%d,"workers":%d,"slots_per_worker":%d,"jobs":%d,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}"#,
            wake ? "socket" : "none", pollMilliseconds, workers, slots, jobs, percentile(0.5), percentile(0.99), sorted.last ?? 0))
    }
}

extension LatencyBenchmark {
    /// Milliseconds from the enqueue call to the start of the job's run.
    func timeOneJob(index: Int, queue: JobQueue, account: AccountID, wakeups: JobWakeups, starts: StartTimes) async throws -> Double {
        let key = "latency-\(index)"
        let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 1_000)
        let payload = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        let enqueuedAt = DispatchTime.now().uptimeNanoseconds
        _ = try await queue.enqueue(
            EnqueueRequest(account: account, credits: 1, durationMilliseconds: 1_000, payload: payload, uploadID: key))
        if wake { wakeups.notifyAll() }
        let startedAt = try await starts.wait(for: key, timeoutSeconds: 10)
        return Double(startedAt - enqueuedAt) / 1e6
    }
}

/// A no-op engine that notes when each job's run began.
struct StartRecordingEngine: DubbingEngine {
    let starts: StartTimes
    var name: String { "latency-probe" }

    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String? { nil }

    func dub(
        _ request: DubbingRequest, source: DubbingSource, workFolder: String, outputPath: String, logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        // The job's upload id, the last folder of its source's path.
        let uploadID = ((source.audioPath as NSString).deletingLastPathComponent as NSString).lastPathComponent
        starts.record(uploadID, at: DispatchTime.now().uptimeNanoseconds)
    }
}

/// Start times by job, and the bench waiting for the next one.
final class StartTimes: Sendable {
    private let times = Mutex<[String: UInt64]>([:])

    func record(_ key: String, at nanoseconds: UInt64) {
        times.withLock { $0[key] = $0[key] ?? nanoseconds }
    }

    func wait(for key: String, timeoutSeconds: Double) async throws -> UInt64 {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutSeconds * 1_000))
        while ContinuousClock.now < deadline {
            if let time = times.withLock({ $0[key] }) { return time }
            // The engine notes the start itself: this poll only delays the next job.
            try await Task.sleep(for: .microseconds(50))
        }
        throw ValidationError("job \(key) did not start within \(timeoutSeconds) s")
    }
}
