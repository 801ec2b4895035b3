import ArgumentParser
import Worker

/// The settings of worker processes, shared by `worker` (which runs one) and `up` (which
/// checks them before it starts any child, so a bad value stops `up` at once with a clear
/// message instead of a child refusing it on every restart).
struct WorkerOptions: ParsableArguments {
    static let concurrencyRange: ClosedRange<Int64> = 1...64

    @Option(help: "Job slots per worker process, 1 to 64 (env: AURIS_WORKER_CONCURRENCY; default 4).")
    var concurrency: Int?

    /// Every worker setting from the flag or the environment, each checked against its range.
    func configuration(workerID: String, dataDirectory: String) throws -> WorkerConfiguration {
        var configuration = WorkerConfiguration(workerID: workerID, dataDirectory: dataDirectory)
        configuration.concurrency = Int(try Setting.integer(
            flag: concurrency.map(Int64.init), flagName: "--concurrency", variable: "AURIS_WORKER_CONCURRENCY",
            in: Self.concurrencyRange) ?? 4)
        if let hours = try Setting.integer(variable: "AURIS_RESULT_TTL_HOURS", in: 1...8_760) {
            configuration.resultTTLHours = hours
        }
        if let seconds = try Setting.integer(variable: "AURIS_SHUTDOWN_GRACE_SECONDS", in: 0...3_600) {
            configuration.shutdownGraceMilliseconds = seconds * 1_000
        }
        if let milliseconds = try Setting.integer(variable: "AURIS_POLL_MS", in: 10...60_000) {
            configuration.pollIntervalMilliseconds = milliseconds
        }
        return configuration
    }
}
