import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A customer's webhook endpoint on 127.0.0.1 (`POST /hook`): records every request and
/// answers with the next of its scripted statuses, the last one for ever after.
public final class WebhookReceiver: Sendable {
    public struct Received: Sendable, Equatable {
        public var body: String
        public var signature: String?
        public var eventID: String?
    }

    private struct State {
        var answers: [Int]
        var received: [Received] = []
    }

    private let runner = FakeServerRunner()
    private let state: Mutex<State>
    private let holdFirstMilliseconds: Int

    /// - Parameters:
    ///   - answers: the statuses of the first requests, in order; at least one.
    ///   - holdFirstMilliseconds: how long the first request waits for its answer (a
    ///     slow receiver, for a sender to die in the middle of an attempt).
    public init(answers: [Int], holdFirstMilliseconds: Int = 0) {
        precondition(!answers.isEmpty, "a receiver answers something")
        state = Mutex(State(answers: answers))
        self.holdFirstMilliseconds = holdFirstMilliseconds
    }

    /// Starts listening on a free port; returns the port.
    public func start() async throws -> Int {
        let router = Router()
        router.post("hook") { request, _ in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let (status, isFirst) = self.state.withLock { state in
                state.received.append(Received(
                    body: body, signature: request.headers[.init("Auris-Signature")!],
                    eventID: request.headers[.init("Auris-Event-Id")!]))
                return (state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0], state.received.count == 1)
            }
            if isFirst && self.holdFirstMilliseconds > 0 { try await self.runner.hold(milliseconds: self.holdFirstMilliseconds) }
            return Response(status: .init(code: status), body: ResponseBody(byteBuffer: ByteBuffer(string: "answer \(status)")))
        }
        let logger = Logger(label: "webhook-receiver") { _ in SwiftLogNoOpLogHandler() }
        guard let port = await runner.start(router: router, port: 0, serverName: "webhook-receiver", logger: logger) else {
            throw FixtureError("the webhook receiver could not listen")
        }
        return port
    }

    public var received: [Received] { state.withLock { $0.received } }

    public func stop() async {
        await runner.stop()
    }
}
