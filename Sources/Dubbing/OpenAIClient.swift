import Foundation
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends requests to the OpenAI API (or a compatible server) with `URLSession` and
/// classifies failures. It does not retry: one attempt of a job makes each call once,
/// and the worker decides about the next attempt from `DubbingError.isTransient`.
struct OpenAIClient: Sendable {
    let baseURL: String
    let apiKey: String
    let session: URLSession
    /// Replaced per job (`with(logger:)`), so each line carries the job's metadata.
    var logger: Logger
    /// Limit for chat and speech calls.
    let requestTimeoutSeconds: Double
    /// Limit for a transcription, which uploads up to 25 MB and waits for the whole answer.
    let transcriptionTimeoutSeconds: Double

    init(
        baseURL: String,
        apiKey: String,
        logger: Logger,
        requestTimeoutSeconds: Double,
        transcriptionTimeoutSeconds: Double
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        // The whole exchange, upload included, must end within the longest per-call limit.
        configuration.timeoutIntervalForResource = max(requestTimeoutSeconds, transcriptionTimeoutSeconds)
        configuration.httpMaximumConnectionsPerHost = 8
        self.session = URLSession(configuration: configuration)
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

    /// POSTs `body` to `{baseURL}/{path}` and returns the body of a 2xx answer.
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
        guard let url = URL(string: "\(self.baseURL)/\(path)") else {
            throw .invalidConfiguration("OPENAI_BASE_URL does not form a valid URL: \(self.baseURL)")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.setValue("Bearer \(self.apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.httpBody = body

        let finishedRequest = request
        let startedAt = ContinuousClock.now
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await self.withDeadline(seconds: timeoutSeconds) {
                try await self.session.data(for: finishedRequest)
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
        guard let http = response as? HTTPURLResponse else {
            throw .providerBadResponse("\(operation): the answer is not HTTP")
        }
        let requestID = http.value(forHTTPHeaderField: "x-request-id") ?? "-"
        let elapsed = startedAt.duration(to: .now).components
        let elapsedMilliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        guard (200..<300).contains(http.statusCode) else {
            let classified = OpenAIErrorClassifier.classify(
                status: http.statusCode,
                header: { http.value(forHTTPHeaderField: $0) },
                body: data,
                operation: operation,
                now: Date()
            )
            self.logger.warning("OpenAI call refused", metadata: [
                "operation": "\(operation)", "status": "\(http.statusCode)", "x-request-id": "\(requestID)",
                "elapsed_ms": "\(elapsedMilliseconds)", "error": "\(classified)",
            ])
            throw classified
        }
        self.logger.debug("OpenAI call succeeded", metadata: [
            "operation": "\(operation)", "status": "\(http.statusCode)", "x-request-id": "\(requestID)",
            "elapsed_ms": "\(elapsedMilliseconds)", "bytes": "\(data.count)",
        ])
        return data
    }

    /// Runs `operation` but gives up after `seconds`: `URLRequest.timeoutInterval` only
    /// catches a silent connection, not one that trickles bytes forever.
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
                throw URLError(.timedOut)
            }
            return value
        }
    }
}
