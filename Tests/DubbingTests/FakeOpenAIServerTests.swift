import AurisTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import Dubbing

/// The fake's control plane, which scripts use over HTTP.
@Suite(.timeLimit(.minutes(5))) struct FakeOpenAIServerTests {
    private func post(_ url: String, _ json: String) async throws -> Int {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = "POST"
        request.httpBody = Data(json.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return try #require(response as? HTTPURLResponse).statusCode
    }

    @Test func faultsAndStatsWorkOverHTTP() async throws {
        try await withFakeOpenAI { server in
            let root = server.baseURL.replacing("/v1", with: "")
            let status = try await self.post(
                "\(root)/_fake/faults", #"{"endpoint": "speech", "fault": {"serverError": {}}, "count": 1}"#
            )
            #expect(status == 200)
            let client = OpenAIClient(
                baseURL: server.baseURL, apiKey: "sk-test", logger: testLogger, requestTimeoutSeconds: 10, transcriptionTimeoutSeconds: 10
            )
            await #expect(throws: DubbingError.self) { _ = try await client.speech(text: "Hi", model: "tts-1", voice: "alloy") }
            let audio = try await client.speech(text: "Hi", model: "tts-1", voice: "alloy")
            #expect(audio.count > 1_000)
            _ = try await client.speech(text: "Hi", model: "tts-1", voice: "alloy")

            let (body, _) = try await URLSession.shared.data(from: try #require(URL(string: "\(root)/_fake/stats")))
            let stats = try JSONDecoder().decode(FakeOpenAIStats.self, from: body)
            #expect(stats.calls["speech"] == 3)
            #expect(stats.answered["speech"] == 2)
            #expect(stats.duplicates == ["speech": ["Hi"]])

            #expect(try await self.post("\(root)/_fake/reset", "{}") == 200)
            #expect(server.calls(.speech) == 0)
        }
    }

    /// A request limit as OpenAI shows one: headers on every answer, 429 with when to come back.
    @Test func aRateLimitIsAnnouncedAndEnforced() async throws {
        // 3 calls an hour: what refills while the test runs (a call per 20 minutes) is negligible.
        let limit = FakeOpenAIRateLimit(requests: 3, windowSeconds: 3_600)
        try await withFakeOpenAI(.init(rateLimits: [.speech: limit])) { server in
            var request = URLRequest(url: try #require(URL(string: "\(server.baseURL)/audio/speech")))
            request.httpMethod = "POST"
            request.setValue("Bearer sk-test", forHTTPHeaderField: "Authorization")
            request.httpBody = Data(#"{"model": "tts-1", "input": "Hi", "voice": "alloy", "response_format": "pcm"}"#.utf8)
            var answers: [HTTPURLResponse] = []
            for _ in 0..<4 {
                let (_, response) = try await URLSession.shared.data(for: request)
                answers.append(try #require(response as? HTTPURLResponse))
            }
            #expect(answers.map(\.statusCode) == [200, 200, 200, 429])
            #expect(answers.map { $0.value(forHTTPHeaderField: "x-ratelimit-remaining-requests") } == ["2", "1", "0", "0"])
            #expect(answers.allSatisfy { $0.value(forHTTPHeaderField: "x-ratelimit-limit-requests") == "3" })
            // Empty: full again in an hour, written as OpenAI writes it (`59m58.5s`).
            let reset = try #require(answers[2].value(forHTTPHeaderField: "x-ratelimit-reset-requests"))
            #expect(reset.contains("m") && OpenAIRateLimiter.seconds(reset).map { (3_300...3_600).contains($0) } == true, "\(reset)")
            // One call back in 20 minutes: exactly in milliseconds, rounded up to whole seconds.
            let retryAfter = try #require(answers[3].value(forHTTPHeaderField: "Retry-After").flatMap(Int.init))
            let retryAfterMilliseconds = try #require(answers[3].value(forHTTPHeaderField: "retry-after-ms").flatMap(Int.init))
            #expect((900_000...1_200_000).contains(retryAfterMilliseconds))
            #expect(retryAfter == (retryAfterMilliseconds + 999) / 1_000)
            #expect(server.stats().rateLimited == ["speech": 1] && server.answered(.speech) == 3)
        }
    }

    @Test func refusesRequestsWithoutAnAPIKey() async throws {
        try await withFakeOpenAI { server in
            let client = OpenAIClient(
                baseURL: server.baseURL, apiKey: "", logger: testLogger, requestTimeoutSeconds: 10, transcriptionTimeoutSeconds: 10
            )
            let error = await #expect(throws: DubbingError.self) {
                _ = try await client.speech(text: "Hi", model: "tts-1", voice: "alloy")
            }
            #expect(error?.code == "provider_unauthorized")
        }
    }

    @Test func runServesUntilCancelled() async throws {
        let server = FakeOpenAIServer()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        #expect(server.baseURL == "http://127.0.0.1:\(port)/v1")
        serving.cancel()
        try await serving.value
        let error = await #expect(throws: (any Error).self) {
            _ = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/_fake/stats")))
        }
        #expect(error != nil)
    }
}
