import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends requests to the OpenAI API (or a compatible server) and classifies failures.
/// It does not retry: one attempt of a job makes each call once, and the worker decides
/// about the next attempt from `DubbingError.isTransient`.
///
/// The transport is AsyncHTTPClient's shared client (SwiftNIO, a pool of kept-alive
/// connections per host), not URLSession: on Linux, URLSession's libcurl bridge spins
/// while a request on a new connection waits for its answer — measured at 1.6 s of CPU
/// for one call answered after 2 s — and a worker's calls spend most of their time
/// waiting.
struct OpenAIClient: Sendable {
    let baseURL: String
    let apiKey: String
    /// Replaced per job (`with(logger:)`), so each line carries the job's metadata.
    var logger: Logger
    /// Limit for chat and speech calls.
    let requestTimeoutSeconds: Double
    /// Limit for a transcription, which uploads up to 25 MB and waits for the whole answer.
    let transcriptionTimeoutSeconds: Double
    /// The largest answer read: speech for 4,096 characters is a few minutes of 24 kHz
    /// samples (under 20 MB); anything past this is refused, not buffered.
    static let maxAnswerBytes = 64 << 20

    /// One client for the process (a pool of kept-alive connections), never shut down.
    /// It does not follow redirects: the API answers where OPENAI_BASE_URL says, and a
    /// redirect would carry the request and its key elsewhere; a 3xx fails the call.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    init(
        baseURL: String,
        apiKey: String,
        logger: Logger,
        requestTimeoutSeconds: Double,
        transcriptionTimeoutSeconds: Double
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.logger = logger
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.transcriptionTimeoutSeconds = transcriptionTimeoutSeconds
    }

    /// The same client, logging to `logger`.
    func with(logger: Logger) -> OpenAIClient {
        var client = self
        client.logger = logger
        return client
    }

    /// POSTs `body` to `{baseURL}/{path}` and returns the body of a 2xx answer; the time
    /// it takes counts as provider wait in the job's `ProviderWaitClock`.
    /// - Parameters:
    ///   - operation: names the call in messages and logs (`transcription`, `speech`).
    ///   - timeoutSeconds: the request's time limit; a silent server fails with `provider_timeout`.
    /// - Throws: `DubbingError` classified by `OpenAIErrorClassifier`.
    func post(
        _ path: String,
        body: Data,
        contentType: String,
        operation: String,
        timeoutSeconds: Double
    ) async throws(DubbingError) -> Data {
        guard URL(string: "\(self.baseURL)/\(path)") != nil else {
            throw .invalidConfiguration("OPENAI_BASE_URL does not form a valid URL: \(self.baseURL)")
        }
        var request = HTTPClientRequest(url: "\(self.baseURL)/\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(self.apiKey)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        // Outside a job (no clock bound) the time is measured into a clock nobody reads.
        let clock = ProviderWaitClock.current ?? ProviderWaitClock()
        return try await clock.measure { [request] () async throws(DubbingError) -> Data in
            try await self.send(request, operation: operation, timeoutSeconds: timeoutSeconds)
        }
    }

    private func send(_ request: HTTPClientRequest, operation: String, timeoutSeconds: Double) async throws(DubbingError) -> Data {
        let startedAt = ContinuousClock.now
        let answer: (status: Int, headers: HTTPHeaders, body: ByteBuffer)
        do {
            answer = try await self.withDeadline(seconds: timeoutSeconds) {
                let response = try await Self.http.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1_000)))
                let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
                return (Int(response.status.code), response.headers, body)
            }
        } catch {
            let classified = OpenAIErrorClassifier.classify(transportError: error, operation: operation)
            // A cancelled job is not a provider problem: no warning for it.
            self.logger.log(level: classified.code == DubbingError.canceled.code ? .debug : .warning,
                            "OpenAI call failed without an answer", metadata: [
                "operation": "\(operation)", "error": "\(classified)",
            ])
            throw classified
        }
        // No cancellation check here: an answer that arrived is paid for, so the caller
        // saves it first; the next stage or segment boundary stops the job.
        let data = Data(answer.body.readableBytesView)
        let requestID = answer.headers.first(name: "x-request-id") ?? "-"
        let elapsedMilliseconds = startedAt.duration(to: .now).wholeMilliseconds
        guard (200..<300).contains(answer.status) else {
            let classified = OpenAIErrorClassifier.classify(
                status: answer.status,
                header: { answer.headers.first(name: $0) },
                body: data,
                operation: operation,
                now: Date()
            )
            self.logger.warning("OpenAI call refused", metadata: [
                "operation": "\(operation)", "status": "\(answer.status)", "x-request-id": "\(requestID)",
                "elapsed_ms": "\(elapsedMilliseconds)", "error": "\(classified)",
            ])
            throw classified
        }
        self.logger.debug("OpenAI call succeeded", metadata: [
            "operation": "\(operation)", "status": "\(answer.status)", "x-request-id": "\(requestID)",
            "elapsed_ms": "\(elapsedMilliseconds)", "bytes": "\(data.count)",
        ])
        return data
    }

    /// Runs `operation` but gives up after `seconds`: the client's own deadline covers
    /// the answer's head, not a body that trickles in forever.
    private func withDeadline<T: Sendable>(
        seconds: Double,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                // A little later than the request's own limit, so that one reports first.
                try await Task.sleep(for: .seconds(seconds + 1))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return value
        }
    }
}
