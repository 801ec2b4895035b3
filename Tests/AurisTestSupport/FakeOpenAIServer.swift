import Foundation
import Hummingbird
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An OpenAI-compatible server on 127.0.0.1 for tests and scripts: real wire formats
/// (multipart transcription with `verbose_json` segments, structured chat completions,
/// speech as real MP3 or raw PCM bytes, OpenAI's error JSON), fault injection per endpoint, and
/// call counts per endpoint and input, so a test can assert that no step was paid twice.
///
/// ```swift
/// let server = FakeOpenAIServer()
/// let port = try await server.start()           // a free port
/// // OPENAI_BASE_URL = server.baseURL, any OPENAI_API_KEY
/// server.inject(.rateLimited(retryAfterSeconds: 2), on: .speech, count: 1, afterCalls: 2)
/// …
/// #expect(server.stats().duplicates.isEmpty)
/// await server.stop()
/// ```
///
/// As a process: `try await FakeOpenAIServer().run(port: 8089) { print("listening on \($0)") }`
/// in an executable's `main`, stopped by cancelling its task (e.g. on SIGTERM).
///
/// A script drives the same controls over HTTP: `POST /_fake/faults`
/// (`{"endpoint": "speech", "fault": {"serverError": {}}, "count": 1, "afterCalls": 0}`),
/// `POST /_fake/latency` (`{"endpoint": "speech", "milliseconds": 200}`),
/// `GET /_fake/stats`, `POST /_fake/reset`.
public final class FakeOpenAIServer: Sendable {
    public struct Configuration: Sendable {
        /// Length of the speech returned per character of input (clamped to 0.3…20 s).
        public var speechSecondsPerCharacter: Double
        /// A transcription has one segment per this many seconds of uploaded audio.
        public var transcriptionSegmentSeconds: Double
        /// How long a `hang` fault holds a request before giving up (the server's stop ends it sooner).
        public var hangSeconds: Double

        public init(speechSecondsPerCharacter: Double = 0.06, transcriptionSegmentSeconds: Double = 3, hangSeconds: Double = 300) {
            self.speechSecondsPerCharacter = speechSecondsPerCharacter
            self.transcriptionSegmentSeconds = transcriptionSegmentSeconds
            self.hangSeconds = hangSeconds
        }
    }

    private struct Running {
        var port: Int
        var task: Task<Void, Never>
        var services: ServiceGroup
    }

    let configuration: Configuration
    let state = FakeOpenAIState()
    let audio = FakeOpenAIAudio()
    let logger: Logger
    private let running = Mutex<Running?>(nil)
    /// Set by `stop()`: held requests (latency, `hang`) answer at once so the graceful
    /// shutdown need not wait for them.
    private let stopping = Atomic<Bool>(false)

    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) {
        self.configuration = configuration
        var defaultLogger = Logger(label: "fake-openai")
        // Connections a client drops mid-request are reported as errors: not news in a test.
        defaultLogger.logLevel = .critical
        self.logger = logger ?? defaultLogger
    }

    /// Starts listening on 127.0.0.1.
    /// - Parameter port: 0 picks a free port.
    /// - Returns: the port it listens on.
    public func start(port: Int = 0) async throws -> Int {
        precondition(self.running.withLock { $0 == nil }, "the fake OpenAI server is already running")
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: self.makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: "fake-openai"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: self.logger
        )
        let logger = self.logger
        // Stopped by a graceful shutdown, not by cancelling: a connection accepted while
        // a cancelled server unwinds trips NIO's "NIOAsyncWriter deinited" trap, and a
        // client (AsyncHTTPClient) may finish connecting just then.
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            do {
                try await services.run()
            } catch {
                logger.error("fake OpenAI server stopped", metadata: ["error": "\(error)"])
            }
            portContinuation.finish()
        }
        guard let boundPort = await ports.first(where: { _ in true }) else {
            task.cancel()
            throw FakeOpenAIStartError(port: port)
        }
        self.stopping.store(false, ordering: .relaxed)
        self.running.withLock { $0 = Running(port: boundPort, task: task, services: services) }
        return boundPort
    }

    /// Stops listening, answers held requests at once and waits for open connections
    /// to end (cancelling them after 10 s). Safe to call twice.
    public func stop() async {
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

    /// Holds a request for `milliseconds`, or until the server stops.
    func hold(milliseconds: Int) async throws {
        let end = ContinuousClock.now + .milliseconds(milliseconds)
        while !self.stopping.load(ordering: .relaxed), ContinuousClock.now < end {
            try await Task.sleep(for: min(.milliseconds(50), ContinuousClock.now.duration(to: end)))
        }
    }

    /// Serves until the calling task is cancelled, then stops: the body of a standalone
    /// `fake-openai` executable.
    /// - Parameters:
    ///   - port: 0 picks a free port.
    ///   - onStarted: receives the port once the server listens (print it for the script).
    public func run(port: Int = 0, onStarted: (Int) -> Void) async throws {
        let boundPort = try await self.start(port: port)
        onStarted(boundPort)
        guard let task = self.running.withLock({ $0?.task }) else { return }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            Task { await self.stop() }
        }
        await self.stop()
    }

    /// `http://127.0.0.1:<port>/v1`, the value for `OPENAI_BASE_URL`.
    public var baseURL: String {
        guard let port = self.running.withLock({ $0?.port }) else { preconditionFailure("start the server first") }
        return "http://127.0.0.1:\(port)/v1"
    }

    /// Schedules `fault` for `count` calls of `endpoint`, after `afterCalls` more calls
    /// answered normally: `afterCalls: 2` faults the third call from now.
    public func inject(_ fault: FakeOpenAIFault, on endpoint: FakeOpenAIEndpoint, count: Int = 1, afterCalls: Int = 0) {
        self.state.inject(fault, on: endpoint, count: count, afterCalls: afterCalls)
    }

    /// A delay before every answer of `endpoint` (0 to remove it).
    public func setLatency(milliseconds: Int, for endpoint: FakeOpenAIEndpoint) {
        self.state.setLatency(milliseconds, for: endpoint)
    }

    public func stats() -> FakeOpenAIStats { self.state.stats() }

    /// Every request of `endpoint` so far, faulted or not.
    public func calls(_ endpoint: FakeOpenAIEndpoint) -> Int { self.stats().calls[endpoint.rawValue] ?? 0 }

    /// Requests of `endpoint` answered with a 200 so far: what a real account pays for.
    public func answered(_ endpoint: FakeOpenAIEndpoint) -> Int { self.stats().answered[endpoint.rawValue] ?? 0 }

    /// Forgets counts, faults and latencies.
    public func reset() { self.state.reset() }
}

/// The fake server could not listen on the requested port.
public struct FakeOpenAIStartError: Error, CustomStringConvertible {
    public let port: Int
    public var description: String { "the fake OpenAI server could not listen on 127.0.0.1:\(self.port)" }
}
