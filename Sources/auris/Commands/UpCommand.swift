import API
import ArgumentParser
import Foundation
import Logging
import Queue

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

    @Option(help: "Job slots per worker (env: AURIS_WORKER_CONCURRENCY; default 4).")
    var concurrency: Int?

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "auris.up")
        let workerCount = try workers ?? Environment.integer("AURIS_WORKERS").map(Int.init) ?? 1
        guard (0...64).contains(workerCount) else { throw ValidationError("--workers must be 0 to 64") }
        let api = try service.apiConfiguration()
        // Migrate once here, before the children open the same file.
        let database = try await service.data.openDatabase()
        let queue = JobQueue(database: database, configuration: try ServiceOptions.queueConfiguration())

        var environment = ProcessInfo.processInfo.environment
        environment["AURIS_DATA_DIR"] = api.dataDirectory
        environment[ParentWatch.environmentKey] = "1"
        if let concurrency { environment["AURIS_WORKER_CONCURRENCY"] = String(concurrency) }
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
