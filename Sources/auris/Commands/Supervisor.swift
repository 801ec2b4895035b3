import Foundation
import Logging
import Queue

#if canImport(Glibc)
import Glibc
#endif

/// One process `auris up` keeps running.
struct ChildSpec: Sendable {
    var name: String
    var arguments: [String]
    /// For workers: the prefix of the lease owner names it gets, one per start.
    var leaseOwnerPrefix: String?
}

/// Starts the children, restarts those that die (1 s, 2 s, 4 s … up to 30 s; back to
/// 1 s after a minute of good health), releases a dead worker's leases at once, and on
/// shutdown sends SIGTERM to all and waits for them (SIGKILL after the grace).
actor Supervisor {
    let executable: String
    let environment: [String: String]
    let children: [ChildSpec]
    let queue: JobQueue
    let dataDirectory: String
    let logger: Logger
    static let shutdownWaitSeconds: Double = 45
    private var running: [String: Process] = [:]
    private var shuttingDown = false

    init(
        executable: String, environment: [String: String], children: [ChildSpec], queue: JobQueue,
        dataDirectory: String, logger: Logger
    ) {
        self.executable = executable
        self.environment = environment
        self.children = children
        self.queue = queue
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for child in children {
                group.addTask { await self.keepRunning(child) }
            }
        }
    }

    func shutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        for process in running.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let stragglers = Array(running.values)
        Task.detached { [logger] in
            try? await Task.sleep(for: .seconds(Self.shutdownWaitSeconds))
            // Confirm the child before killing its pid: `Process` reaps its child before
            // `isRunning` turns false, and an unreaped child's pid cannot name another
            // process, whereas a saved bare pid may have been reused by then.
            for process in stragglers where process.isRunning {
                logger.warning("child did not stop in time; killing it", metadata: ["pid": "\(process.processIdentifier)"])
                kill(process.processIdentifier, SIGKILL)
            }
        }
    }

    private func keepRunning(_ child: ChildSpec) async {
        var delaySeconds: Double = 1
        var generation = 0
        while !shuttingDown {
            generation += 1
            var arguments = child.arguments
            let owner = child.leaseOwnerPrefix.map { "\($0)-\(generation)" }
            if let owner { arguments += ["--worker-id", owner] }
            let started = ContinuousClock.now
            let status: Int32
            do {
                status = try await runOnce(name: child.name, arguments: arguments)
            } catch {
                logger.error("cannot start child", metadata: ["child": "\(child.name)", "error": "\(error)"])
                status = -1
            }
            if let owner {
                // The process is gone: its leases can be handed to other workers now,
                // rather than when they expire.
                let released = (try? await queue.releaseLeases(owner: owner)) ?? 0
                if released > 0 {
                    logger.info("released the leases of a stopped worker", metadata: ["owner": "\(owner)", "jobs": "\(released)"])
                    JobWakeups(dataDirectory: dataDirectory).notifyAll()
                }
            }
            if shuttingDown { break }
            if ContinuousClock.now - started > .seconds(60) { delaySeconds = 1 }
            logger.warning("child exited; restarting", metadata: [
                "child": "\(child.name)", "status": "\(status)", "in_seconds": "\(delaySeconds)",
            ])
            try? await Task.sleep(for: .seconds(delaySeconds))
            delaySeconds = min(30, delaySeconds * 2)
        }
    }

    private func runOnce(name: String, arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let parentLink = Pipe()
        process.standardInput = parentLink
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                continuation.resume(returning: finished.terminationStatus)
            }
            do {
                try process.run()
                running[name] = process
                logger.info("started", metadata: ["child": "\(name)", "pid": "\(process.processIdentifier)"])
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}
