public import AsyncHTTPClient
import Foundation
public import NIOCore
public import NIOHTTP1

/// The one way Auris calls another service over HTTP (OpenAI, Stripe, S3): one process-wide
/// AsyncHTTPClient, a pool of kept-alive connections per host, shared by every caller.
///
/// - It never follows redirects: each service answers where its base URL says, and a
///   redirect would carry the request and its secret key elsewhere. A 3xx is returned
///   to the caller as an answer, which fails the call.
/// - It reads at most `maxAnswerBytes` of an answer; a larger one is refused, not buffered.
/// - It bounds the whole exchange: AsyncHTTPClient's timeout covers the answer's head,
///   not a body that trickles in forever.
///
/// Transport failures are thrown as AsyncHTTPClient and NIO throw them
/// (`HTTPClientError.deadlineExceeded` for the overall deadline); each caller classifies
/// them for its own domain. URLSession is not used: on Linux its libcurl bridge spins
/// while a request on a new connection waits (1.6 s of CPU for a call answered after 2 s).
///
/// ```swift
/// var request = HTTPClientRequest(url: "https://api.example.com/v1/things")
/// request.method = .POST
/// let answer = try await OutboundHTTP.send(request, timeoutSeconds: 20, maxAnswerBytes: 1 << 20)
/// if (200..<300).contains(answer.status) { … answer.body … }
/// ```
public enum OutboundHTTP {
    /// What came back: the status, the headers, and the whole body.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        public init(status: Int, headers: HTTPHeaders, body: ByteBuffer) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// How much later than the request's own timeout the whole exchange is cut, so that
    /// the client's more precise error (connect or read timeout) reports first.
    static let deadlineGraceSeconds: Double = 1

    /// The process's client. Never shut down: it lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        // A worker keeps up to 16 speech calls of each job in flight (docs/ARCHITECTURE.md,
        // "Provider concurrency"); the default of 8 connections per host queued the rest.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Returns once every task queued on the client's event loops before this call has
    /// run. A streamed request body waits on this before it reads its next chunk: the
    /// client writes a chunk without waiting for it to be sent and learns only later, on
    /// the connection's event loop, that the socket is full, so a body read from a fast
    /// disk would otherwise run megabytes ahead of a slow server. Event loops run their
    /// tasks in order, so after this the earlier chunk's write has happened and, if the
    /// socket is full, the client has paused the body.
    public static func awaitQueuedWrites() async throws {
        for eventLoop in client.eventLoopGroup.makeIterator() {
            try await eventLoop.submit {}.get()
        }
    }

    /// Sends `request` and collects its answer.
    /// - Parameters:
    ///   - timeoutSeconds: the request's time limit; the whole exchange is cut a second later.
    ///   - maxAnswerBytes: the largest body read; past it the call fails (`NIOTooManyBytesError`).
    /// - Throws: the transport's error, or `HTTPClientError.deadlineExceeded`; a task
    ///   cancellation cancels the request.
    public static func send(
        _ request: HTTPClientRequest, timeoutSeconds: Double, maxAnswerBytes: Int
    ) async throws -> Answer {
        try await exchange(request, timeoutSeconds: timeoutSeconds) { response in
            let body = try await response.body.collect(upTo: maxAnswerBytes)
            return Answer(status: Int(response.status.code), headers: response.headers, body: body)
        }
    }

    /// Sends `request` and lets `read` consume the answer as it arrives (a large download
    /// streamed to a file), under the same deadline as ``send(_:timeoutSeconds:maxAnswerBytes:)``:
    /// the whole exchange, body included, is cut a second after `timeoutSeconds`.
    /// - Throws: what `read` or the transport throws, or `HTTPClientError.deadlineExceeded`.
    public static func exchange<T: Sendable>(
        _ request: HTTPClientRequest, timeoutSeconds: Double,
        read: @escaping @Sendable (HTTPClientResponse) async throws -> T
    ) async throws -> T {
        try await withDeadline(seconds: timeoutSeconds + deadlineGraceSeconds) {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1_000)))
            return try await read(response)
        }
    }

    static func withDeadline<T: Sendable>(
        seconds: Double, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw HTTPClientError.deadlineExceeded }
            return value
        }
    }
}
