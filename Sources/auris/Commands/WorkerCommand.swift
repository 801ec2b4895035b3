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

    @OptionGroup var workerOptions: WorkerOptions

    @Option(help: "This process's lease owner name (env: AURIS_WORKER_ID; default host:pid:random).")
    var workerID: String?

    func run() async throws {
        var logger = ProcessLogging.bootstrap(label: "auris.worker")
        ParentWatch.startIfSupervised(logger: logger)
        let id = workerID ?? Environment.value("AURIS_WORKER_ID") ?? Self.defaultWorkerID()
        var configuration = try workerOptions.configuration(workerID: id, dataDirectory: service.data.resolvedDataDirectory)
        configuration.media = try service.data.openMediaStore()
        configuration.webhooks = try service.webhookDelivery()
        let queueConfiguration = try ServiceOptions.queueConfiguration()
        let engine = try service.engine()
        let database = try await service.data.openDatabase()
        logger[metadataKey: "engine"] = "\(engine.name)"
        let worker = DubbingWorker(
            configuration: configuration, database: database, queueConfiguration: queueConfiguration,
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
