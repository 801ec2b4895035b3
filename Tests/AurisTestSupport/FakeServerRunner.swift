import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a fake provider's router on 127.0.0.1 and stops it gracefully: the listener
/// closes, requests held by latency or a `hang` fault answer at once (`hold`), and open
/// connections end (cancelled only if they have not after 10 s).
///
/// Not by cancelling the server: a connection accepted while a cancelled server unwinds
/// trips NIO's "NIOAsyncWriter deinited without calling finish()" trap, and a client
/// (AsyncHTTPClient) may finish connecting just then.
final class FakeServerRunner: Sendable {
    private struct Running {
        var port: Int
        var task: Task<Void, Never>
        var services: ServiceGroup
    }

    private let running = Mutex<Running?>(nil)
    private let stopping = Atomic<Bool>(false)

    /// The port while running.
    var port: Int? { self.running.withLock { $0?.port } }

    /// Starts serving `router`; returns the bound port, or nil when it could not listen.
    func start(router: Router<BasicRequestContext>, port: Int, serverName: String, logger: Logger) async -> Int? {
        precondition(self.running.withLock { $0 == nil }, "\(serverName) is already running")
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: serverName),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: logger
        )
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            do {
                try await services.run()
            } catch {
                logger.error("\(serverName) stopped", metadata: ["error": "\(error)"])
            }
            portContinuation.finish()
        }
        guard let boundPort = await ports.first(where: { _ in true }) else {
            task.cancel()
            return nil
        }
        self.stopping.store(false, ordering: .relaxed)
        self.running.withLock { $0 = Running(port: boundPort, task: task, services: services) }
        return boundPort
    }

    /// Stops gracefully (see the type); safe to call twice.
    func stop() async {
        guard let running = self.running.withLock({ running in defer { running = nil }; return running }) else { return }
        self.stopping.store(true, ordering: .relaxed)
        await running.services.triggerGracefulShutdown()
        let deadline = Task {
            try? await Task.sleep(for: .seconds(10))
            if !Task.isCancelled { running.task.cancel() }
        }
        await running.task.value
        deadline.cancel()
    }

    /// Serves until the calling task is cancelled, then stops gracefully.
    func waitUntilCancelled() async {
        guard let task = self.running.withLock({ $0?.task }) else { return }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            Task { await self.stop() }
        }
        await self.stop()
    }

    /// Holds a request for `milliseconds`, or until the server stops.
    func hold(milliseconds: Int) async throws {
        let end = ContinuousClock.now + .milliseconds(milliseconds)
        while !self.stopping.load(ordering: .relaxed), ContinuousClock.now < end {
            try await Task.sleep(for: min(.milliseconds(50), ContinuousClock.now.duration(to: end)))
        }
    }
}
