import ArgumentParser
import Dubbing
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import Worker

/// `auris worker`: one worker process with N job slots.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run one worker process.")

    @OptionGroup var service: ServiceOptions

    @Option(help: "Job slots (env: AURIS_WORKER_CONCURRENCY; default 4).")
    var concurrency: Int?

    @Option(help: "This process's lease owner name (env: AURIS_WORKER_ID; default host:pid:random).")
    var workerID: String?

    func run() async throws {
        var logger = ProcessLogging.bootstrap(label: "auris.worker")
        ParentWatch.startIfSupervised(logger: logger)
        let slots = try concurrency ?? Environment.integer("AURIS_WORKER_CONCURRENCY").map(Int.init) ?? 4
        guard (1...64).contains(slots) else { throw ValidationError("--concurrency must be 1 to 64") }
        let id = workerID ?? Environment.value("AURIS_WORKER_ID") ?? Self.defaultWorkerID()
        var configuration = WorkerConfiguration(workerID: id, dataDirectory: service.data.resolvedDataDirectory)
        configuration.concurrency = slots
        if let hours = try Environment.integer("AURIS_RESULT_TTL_HOURS") { configuration.resultTTLHours = max(1, hours) }
        if let seconds = try Environment.integer("AURIS_SHUTDOWN_GRACE_SECONDS") {
            configuration.shutdownGraceMilliseconds = max(0, seconds) * 1_000
        }
        if let milliseconds = try Environment.integer("AURIS_POLL_MS") { configuration.pollIntervalMilliseconds = max(10, milliseconds) }
        let database = try await service.data.openDatabase()
        let engine = try service.engine()
        logger[metadataKey: "engine"] = "\(engine.name)"
        let worker = DubbingWorker(
            configuration: configuration, database: database, queueConfiguration: try ServiceOptions.queueConfiguration(),
            engine: engine, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        return "\(host):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }
}
