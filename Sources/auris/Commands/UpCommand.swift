import API
import ArgumentParser
import Foundation
import Logging
import Queue
import Worker

#if canImport(Glibc)
import Glibc
#endif

/// `auris up`: the API and K worker processes, supervised. A child that dies is
/// restarted with backoff, and a dead worker's leases are released at once. SIGTERM
/// drains everything; children exit when `up` dies, even by SIGKILL (see `ParentWatch`).
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Run the API and K worker processes (the default way to run Auris).")

    @OptionGroup var service: ServiceOptions

    @Option(help: "Worker processes (env: AURIS_WORKERS; default 1).")
    var workers: Int?

    @OptionGroup var workerOptions: WorkerOptions

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "auris.up")
        // Every setting of every child is checked here, before anything starts: a value a
        // child would refuse must stop `up`, not make it restart that child forever.
        let workerCount = Int(try Setting.integer(
            flag: workers.map(Int64.init), flagName: "--workers", variable: "AURIS_WORKERS", in: 0...64) ?? 1)
        let api = try service.apiConfiguration()
        let workerConfiguration = try workerOptions.configuration(workerID: "up", dataDirectory: api.dataDirectory)
        let queueConfiguration = try ServiceOptions.queueConfiguration()
        _ = try service.engine()
        _ = try service.webhookDelivery()
        // Migrate once here, before the children open the same file.
        let database = try await service.data.openDatabase()
        let queue = JobQueue(database: database, configuration: queueConfiguration)

        var environment = ProcessInfo.processInfo.environment
        environment["AURIS_DATA_DIR"] = api.dataDirectory
        if let url = service.data.resolvedDatabaseURL { environment["AURIS_DATABASE_URL"] = url }
        if let url = service.data.resolvedMediaURL { environment["AURIS_MEDIA_URL"] = url }
        environment[ParentWatch.environmentKey] = "1"
        environment["AURIS_WORKER_CONCURRENCY"] = String(workerConfiguration.concurrency)
        var children = [
            ChildSpec(name: "api", arguments: ["serve", "--host", api.host, "--port", String(api.port)], leaseOwnerPrefix: nil)
        ]
        for index in 0..<workerCount {
            children.append(ChildSpec(name: "worker-\(index + 1)", arguments: ["worker"], leaseOwnerPrefix: "up-\(getpid())-w\(index + 1)"))
        }
        let supervisor = Supervisor(
            executable: Self.executablePath(), environment: environment, children: children, queue: queue,
            dataDirectory: api.dataDirectory, logger: logger)
        let signals = SignalForwarder { signal in
            logger.info("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"); draining")
            Task { await supervisor.shutdown() }
        }
        signals.install()
        logger.info("auris up", metadata: [
            "api": "http://\(api.host):\(api.port)", "workers": "\(workerCount)", "data": "\(api.dataDirectory)",
        ])
        await supervisor.run()
        withExtendedLifetime(signals) {}
        logger.info("auris up stopped")
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Calls back on SIGTERM and SIGINT (delivered through dispatch, not async-signal context).
final class SignalForwarder {
    private let handler: @Sendable (Int32) -> Void
    private let sources: [any DispatchSourceSignal]

    init(handler: @escaping @Sendable (Int32) -> Void) {
        self.handler = handler
        sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    }

    func install() {
        for source in sources {
            let number = Int32(source.handle)
            signal(number, SIG_IGN)
            source.setEventHandler { [handler] in handler(number) }
            source.resume()
        }
    }
}
