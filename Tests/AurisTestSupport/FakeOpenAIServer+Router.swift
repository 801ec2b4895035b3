import Foundation
import Hummingbird
import NIOCore

extension FakeOpenAIServer {
    /// What an endpoint handler decided: a 200 answer for an input (and the units of work
    /// it took: seconds of audio, characters), or a refusal.
    enum Outcome {
        case answer(Response, input: String, units: Double = 0)
        case refusal(Response)
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/audio/transcriptions") { request, _ in
            Self.withRequestID(try await self.serve(.transcriptions, request) { body in try await self.transcribe(request, body: body) })
        }
        router.post("/v1/chat/completions") { request, _ in
            Self.withRequestID(try await self.serve(.chatCompletions, request) { body in self.complete(body: body, dropSegment: false) })
        }
        router.post("/v1/audio/speech") { request, _ in
            Self.withRequestID(try await self.serve(.speech, request) { body in try await self.speak(body: body) })
        }
        router.post("/_fake/faults") { request, _ in
            struct Injection: Decodable {
                var endpoint: FakeOpenAIEndpoint
                var fault: FakeOpenAIFault
                var count: Int?
                var afterCalls: Int?
            }
            let body = try await request.body.collect(upTo: 1 << 16)
            let injection = try JSONDecoder().decode(Injection.self, from: Data(body.readableBytesView))
            self.inject(injection.fault, on: injection.endpoint, count: injection.count ?? 1, afterCalls: injection.afterCalls ?? 0)
            return Self.json(["ok": true])
        }
        router.post("/_fake/latency") { request, _ in
            struct Latency: Decodable {
                var endpoint: FakeOpenAIEndpoint
                var milliseconds: Int
            }
            let body = try await request.body.collect(upTo: 1 << 16)
            let latency = try JSONDecoder().decode(Latency.self, from: Data(body.readableBytesView))
            self.setLatency(milliseconds: latency.milliseconds, for: latency.endpoint)
            return Self.json(["ok": true])
        }
        router.get("/_fake/stats") { _, _ in
            let stats = self.stats()
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(stats))
            guard var object = encoded as? [String: Any] else { return Self.json([:]) }
            object["duplicates"] = stats.duplicates
            return Self.json(object)
        }
        router.post("/_fake/reset") { _, _ in
            self.reset()
            return Self.json(["ok": true])
        }
        return router
    }

    /// Authentication, the rate limit, latency, the scheduled fault, then the endpoint's
    /// own answer; counts it all. With a rate limit, every answer past authentication
    /// carries the endpoint's `x-ratelimit-*-requests` headers.
    private func serve(
        _ endpoint: FakeOpenAIEndpoint,
        _ request: Request,
        answer: (ByteBuffer) async throws -> Outcome
    ) async throws -> Response {
        let (fault, latencyMilliseconds) = self.state.arrive(endpoint)
        let declaredBytes = request.headers[.contentLength].flatMap { Int($0) }
        if let declaredBytes, declaredBytes > FakeOpenAIRules.maxContentBytes {
            return FakeOpenAIRules.tooLarge(bytes: declaredBytes)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: FakeOpenAIRules.maxContentBytes)
        } catch is NIOTooManyBytesError {
            return FakeOpenAIRules.tooLarge(bytes: nil)
        }
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
              authorization.count > "Bearer ".count
        else {
            return Self.error(.unauthorized, "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key")
        }
        let rate = self.state.admit(endpoint, limit: self.configuration.rateLimits[endpoint])
        var response: Response
        if let rate, !rate.admitted {
            response = Self.rateLimitExceeded(retryAfterSeconds: rate.retryAfterSeconds)
        } else {
            defer { self.state.leave(endpoint) }
            response = try await self.answer(
                endpoint, body: body, fault: fault, latencyMilliseconds: latencyMilliseconds, answer: answer)
        }
        for (name, value) in rate?.headers ?? [] { response.headers[.init(name)!] = value }
        return response
    }

    /// 429 `rate_limit_exceeded`, with when to come back: `retry-after-ms` exactly,
    /// `Retry-After` in whole seconds rounded up.
    static func rateLimitExceeded(retryAfterSeconds: Double) -> Response {
        var response = Self.error(.tooManyRequests, "Rate limit reached for requests.", type: "requests", code: "rate_limit_exceeded")
        response.headers[.init("Retry-After")!] = "\(Int(retryAfterSeconds.rounded(.up)))"
        response.headers[.init("retry-after-ms")!] = "\(Int((retryAfterSeconds * 1_000).rounded(.up)))"
        return response
    }

    private func answer(
        _ endpoint: FakeOpenAIEndpoint,
        body: ByteBuffer,
        fault: FakeOpenAIFault?,
        latencyMilliseconds: Int,
        answer: (ByteBuffer) async throws -> Outcome
    ) async throws -> Response {
        if latencyMilliseconds > 0 { try await self.runner.hold(milliseconds: latencyMilliseconds) }

        var dropSegment = false
        switch fault {
        case .rateLimited(let retryAfterSeconds):
            var response = Self.error(
                .tooManyRequests, "Rate limit reached for requests.", type: "requests", code: "rate_limit_exceeded"
            )
            response.headers[.init("Retry-After")!] = "\(retryAfterSeconds)"
            return response
        case .insufficientQuota:
            return Self.error(
                .tooManyRequests, "You exceeded your current quota, please check your plan and billing details.",
                type: "insufficient_quota", code: "insufficient_quota"
            )
        case .serverError:
            return Self.error(.internalServerError, "The server had an error while processing your request.", type: "server_error", code: nil)
        case .badRequest:
            return Self.error(.badRequest, "Invalid request (injected).", type: "invalid_request_error", code: nil)
        case .hang:
            // Ends early only when the server stops; the client should have given up long before.
            try await self.runner.hold(milliseconds: Int(self.configuration.hangSeconds * 1_000))
            return Self.error(.gatewayTimeout, "Hung request released.", type: "server_error", code: nil)
        case .delay(let milliseconds):
            try await self.runner.hold(milliseconds: milliseconds)
        case .dropSegment:
            dropSegment = true
        case .redirect:
            return Response(status: .seeOther, headers: [.location: "/_fake/stats"])
        case nil:
            break
        }

        let outcome = dropSegment && endpoint == .chatCompletions
            ? self.complete(body: body, dropSegment: true)
            : try await answer(body)
        switch outcome {
        case .answer(let response, let input, let units):
            // The work takes its time, as the real API's does (`FakeOpenAILatency`).
            if let latency = self.configuration.latency[endpoint] {
                try await self.runner.hold(milliseconds: latency.milliseconds(units: units))
            }
            self.state.recordAnswer(endpoint, input: input)
            return response
        case .refusal(let response):
            return response
        }
    }

    /// Like OpenAI, every answer carries a request id, errors included.
    static func withRequestID(_ response: Response) -> Response {
        var response = response
        response.headers[.init("x-request-id")!] = "req_fake_\(UUID().uuidString.prefix(12))"
        return response
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
    static func error(_ status: HTTPResponse.Status, _ message: String, type: String, code: String?, param: String? = nil) -> Response {
        self.json([
            "error": [
                "message": message,
                "type": type,
                "param": param.map { $0 as Any } ?? NSNull(),
                "code": code.map { $0 as Any } ?? NSNull(),
            ] as [String: Any],
        ], status: status)
    }
}
