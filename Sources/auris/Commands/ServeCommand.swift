import API
import ArgumentParser
import Billing
import Dubbing
import Hummingbird
import Logging
import Metrics
import Prometheus

/// `auris serve`: the HTTP API alone.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP API alone.")

    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "auris.api")
        ParentWatch.startIfSupervised(logger: logger)
        MetricsSystem.bootstrap(PrometheusMetricsFactory())
        let configuration = try service.apiConfiguration()
        let engine = try service.engine()
        let database = try await service.data.openDatabase()
        let payments = service.payments(configuration: configuration, database: database, logger: logger)
        logger.info("serving", metadata: [
            "address": "\(configuration.host):\(configuration.port)", "engine": "\(engine.name)",
            "data": "\(configuration.dataDirectory)", "payments": "\(payments == nil ? "disabled" : "enabled")",
        ])
        let app = try AurisAPI.application(configuration: configuration, database: database, engine: engine, logger: logger, payments: payments)
        try await app.runService()
    }
}
