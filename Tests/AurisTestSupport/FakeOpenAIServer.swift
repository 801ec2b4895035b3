import Foundation
import Hummingbird
public import Logging
import NIOCore

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
/// `Configuration.latency` and `.rateLimits` make it behave like the real API under load
/// (time growing with the work, `x-ratelimit-*` headers, 429 + `Retry-After`); the
/// `fake-openai` executable takes them as flags.
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
        /// Time per answer growing with its work, per endpoint (none: answers at once).
        public var latency: [FakeOpenAIEndpoint: FakeOpenAILatency]
        /// Requests per window, per endpoint (none: unlimited, and no `x-ratelimit-*` headers).
        public var rateLimits: [FakeOpenAIEndpoint: FakeOpenAIRateLimit]

        public init(
            speechSecondsPerCharacter: Double = 0.06, transcriptionSegmentSeconds: Double = 3, hangSeconds: Double = 300,
            latency: [FakeOpenAIEndpoint: FakeOpenAILatency] = [:], rateLimits: [FakeOpenAIEndpoint: FakeOpenAIRateLimit] = [:]
        ) {
            self.speechSecondsPerCharacter = speechSecondsPerCharacter
            self.transcriptionSegmentSeconds = transcriptionSegmentSeconds
            self.hangSeconds = hangSeconds
            self.latency = latency
            self.rateLimits = rateLimits
        }
    }

    let configuration: Configuration
    let state = FakeOpenAIState()
    let audio = FakeOpenAIAudio()
    let recorder = FakeOpenAIRecorder()
    let logger: Logger
    let runner = FakeServerRunner()

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
        guard let boundPort = await self.runner.start(router: self.makeRouter(), port: port, serverName: "fake-openai", logger: self.logger) else {
            throw FakeOpenAIStartError(port: port)
        }
        return boundPort
    }

    /// Stops listening, answers held requests at once and waits for open connections
    /// to end. Safe to call twice.
    public func stop() async {
        await self.runner.stop()
    }

    /// Serves until the calling task is cancelled, then stops: the body of a standalone
    /// `fake-openai` executable.
    /// - Parameters:
    ///   - port: 0 picks a free port.
    ///   - onStarted: receives the port once the server listens (print it for the script).
    public func run(port: Int = 0, onStarted: (Int) -> Void) async throws {
        onStarted(try await self.start(port: port))
        await self.runner.waitUntilCancelled()
    }

    /// `http://127.0.0.1:<port>/v1`, the value for `OPENAI_BASE_URL`.
    public var baseURL: String {
        guard let port = self.runner.port else { preconditionFailure("start the server first") }
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
    public func reset() {
        self.state.reset()
        self.recorder.reset()
    }
}

/// The fake server could not listen on the requested port.
public struct FakeOpenAIStartError: Error, CustomStringConvertible {
    public let port: Int
    public var description: String { "the fake OpenAI server could not listen on 127.0.0.1:\(self.port)" }
}
