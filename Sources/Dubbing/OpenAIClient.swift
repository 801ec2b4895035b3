import AsyncHTTPClient
import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1

/// Sends requests to the OpenAI API (or a compatible server) and classifies failures.
/// It retries only a 429 of the rate limit, which was not paid for: with a rate limiter,
/// the call waits out its `Retry-After` (up to `maxRateLimitWaitSeconds`, at most
/// `maxRateLimitRetries` times). Any other failure ends the call, and the worker decides
/// about the job's next attempt from `DubbingError.isTransient`.
///
/// Calls go through `OutboundHTTP` (docs/ARCHITECTURE.md, "Outbound HTTP"): no
/// redirects followed, answers capped at `maxAnswerBytes`, a deadline over the whole call.
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
    /// Shared by every job of the process; `nil`: calls start at once and a 429 ends them.
    let rateLimiter: OpenAIRateLimiter?
    /// A longer `Retry-After` is not waited out in the job: its slot is better given back.
    static let maxRateLimitWaitSeconds = 30.0
    static let maxRateLimitRetries = 3

    init(
        baseURL: String,
        apiKey: String,
        logger: Logger,
        requestTimeoutSeconds: Double,
        transcriptionTimeoutSeconds: Double,
        rateLimiter: OpenAIRateLimiter? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.logger = logger
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.transcriptionTimeoutSeconds = transcriptionTimeoutSeconds
        self.rateLimiter = rateLimiter
    }

    /// The same client, logging to `logger`.
    func with(logger: Logger) -> OpenAIClient {
        var client = self
        client.logger = logger
        return client
    }

    /// POSTs `body` to `{baseURL}/{path}` and returns the body of a 2xx answer; the time
    /// it takes, waits for the rate limit included, counts as provider wait in the job's
    /// `ProviderWaitClock`.
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
            var retries = 0
            while true {
                let ticket = try await self.rateLimiter?.admit(path)
                do throws(DubbingError) {
                    return try await self.send(request, operation: operation, timeoutSeconds: timeoutSeconds, ticket: ticket)
                } catch {
                    guard ticket != nil, error.isRateLimited, retries < Self.maxRateLimitRetries,
                          (error.retryAfterSeconds ?? 0) <= Self.maxRateLimitWaitSeconds
                    else { throw error }
                    // Not paid for: the limiter holds the next call for the `Retry-After`.
                    retries += 1
                    self.logger.info("OpenAI rate limit reached; waiting", metadata: [
                        "operation": "\(operation)", "retry_after_s": "\(error.retryAfterSeconds ?? 0)", "retry": "\(retries)",
                    ])
                }
            }
        }
    }

    private func send(
        _ request: HTTPClientRequest, operation: String, timeoutSeconds: Double, ticket: OpenAIRateLimiter.Ticket?
    ) async throws(DubbingError) -> Data {
        let startedAt = ContinuousClock.now
        let answer: OutboundHTTP.Answer
        do {
            answer = try await OutboundHTTP.send(request, timeoutSeconds: timeoutSeconds, maxAnswerBytes: Self.maxAnswerBytes)
        } catch {
            if let ticket { self.rateLimiter?.record(ticket, status: nil, header: { _ in nil }) }
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
            if let ticket {
                self.rateLimiter?.record(
                    ticket, status: answer.status, header: { answer.headers.first(name: $0) },
                    rateLimitedFor: classified.isRateLimited ? classified.retryAfterSeconds ?? 1 : nil)
            }
            self.logger.warning("OpenAI call refused", metadata: [
                "operation": "\(operation)", "status": "\(answer.status)", "x-request-id": "\(requestID)",
                "elapsed_ms": "\(elapsedMilliseconds)", "error": "\(classified)",
            ])
            throw classified
        }
        if let ticket { self.rateLimiter?.record(ticket, status: answer.status, header: { answer.headers.first(name: $0) }) }
        self.logger.debug("OpenAI call succeeded", metadata: [
            "operation": "\(operation)", "status": "\(answer.status)", "x-request-id": "\(requestID)",
            "elapsed_ms": "\(elapsedMilliseconds)", "bytes": "\(data.count)",
        ])
        return data
    }
}
