import AurisTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct ErrorClassificationTests {
    /// One speech call through the real client against the fake, with `fault` injected.
    private func speechError(
        _ fault: FakeOpenAIFault,
        requestTimeoutSeconds: Double = 20
    ) async throws -> DubbingError? {
        try await withFakeOpenAI { server in
            server.inject(fault, on: .speech)
            let client = OpenAIClient(
                baseURL: server.baseURL, apiKey: "sk-test", logger: testLogger,
                requestTimeoutSeconds: requestTimeoutSeconds, transcriptionTimeoutSeconds: requestTimeoutSeconds
            )
            return await #expect(throws: DubbingError.self) {
                _ = try await client.speech(text: "Bonjour", model: "tts-1", voice: "alloy")
            }
        }
    }

    @Test func rateLimitIsTransientWithItsRetryAfter() async throws {
        let error = try #require(try await self.speechError(.rateLimited(retryAfterSeconds: 7)))
        #expect(error.code == "provider_rate_limited")
        #expect(error.isTransient)
        #expect(error.retryAfterSeconds == 7)
        #expect(error.message.contains("request req_fake_"))
    }

    @Test func insufficientQuotaIsPermanentEvenOnA429() async throws {
        let error = try #require(try await self.speechError(.insufficientQuota))
        #expect(error.code == "insufficient_quota")
        #expect(!error.isTransient)
    }

    @Test func serverErrorIsTransient() async throws {
        let error = try #require(try await self.speechError(.serverError))
        #expect(error.code == "provider_unavailable")
        #expect(error.isTransient)
    }

    @Test func badRequestIsPermanent() async throws {
        let error = try #require(try await self.speechError(.badRequest))
        #expect(error.code == "provider_rejected")
        #expect(!error.isTransient)
    }

    /// The key goes only where OPENAI_BASE_URL says: a redirect is not followed (the fake's
    /// target would answer 200) but fails the call, permanently, naming the status.
    @Test func aRedirectIsNotFollowed() async throws {
        let error = try #require(try await self.speechError(.redirect))
        #expect(error.code == "provider_rejected")
        #expect(!error.isTransient)
        #expect(error.message.contains("HTTP 303"))
    }

    @Test func aHangingServerTimesOutAsTransient() async throws {
        let startedAt = ContinuousClock.now
        let error = try #require(try await self.speechError(.hang, requestTimeoutSeconds: 1))
        #expect(error.code == "provider_timeout")
        #expect(error.isTransient)
        // The fake would hold the request for 300 s; generous bound for a busy two-core machine.
        #expect(ContinuousClock.now - startedAt < .seconds(120))
    }

    @Test func aServerThatIsNotThereIsAConnectionError() async throws {
        // Port 9 (discard) has no listener on a test machine: the connection is refused.
        let client = OpenAIClient(
            baseURL: "http://127.0.0.1:9/v1", apiKey: "sk-test", logger: testLogger,
            requestTimeoutSeconds: 5, transcriptionTimeoutSeconds: 5
        )
        let error = await #expect(throws: DubbingError.self) {
            _ = try await client.speech(text: "Hallo", model: "tts-1", voice: "alloy")
        }
        #expect(error?.code == "provider_connection")
        #expect(error?.isTransient == true)
    }

    @Test func aTranslationMissingAnIdIsTransient() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            server.inject(.dropSegment, on: .chatCompletions)
            let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 6_000)
            let uploaded = DubbingSource(audioPath: source)
            let error = await #expect(throws: DubbingError.self) {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "provider_bad_response")
            #expect(error?.isTransient == true)
            #expect(server.calls(.speech) == 0)
        }
    }

    @Test func quotaExhaustedAtTranscriptionStopsTheJob() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            server.inject(.insufficientQuota, on: .transcriptions)
            let source = try await AudioFixture.tone(seconds: 3, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 3_000)
            let uploaded = DubbingSource(audioPath: source)
            let error = await #expect(throws: DubbingError.self) {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "insufficient_quota")
            #expect(server.calls(.chatCompletions) == 0 && server.calls(.speech) == 0)
        }
    }

    @Test func providerCallsAreLoggedWithTheJobAndTheRequestID() async throws {
        let store = CapturingLogHandler.Store()
        var logger = Logger(label: "capture") { _ in CapturingLogHandler(store: store) }
        logger[metadataKey: "job_id"] = "job-42"
        try await withFakeOpenAI { server in
            server.inject(.serverError, on: .speech)
            let client = OpenAIClient(
                baseURL: server.baseURL, apiKey: "sk-test", logger: testLogger, requestTimeoutSeconds: 10, transcriptionTimeoutSeconds: 10
            ).with(logger: logger)
            _ = try? await client.speech(text: "Hola", model: "tts-1", voice: "alloy")
            _ = try await client.speech(text: "Hola", model: "tts-1", voice: "alloy")
        }
        let entries = store.entries.withLock { $0 }
        #expect(entries.map(\.level) == [.warning, .debug])
        #expect(entries.allSatisfy { $0.metadata["x-request-id"]?.hasPrefix("req_fake_") == true })
        #expect(entries.allSatisfy { $0.metadata["job_id"] == "job-42" })
        #expect(entries.allSatisfy { !$0.metadata.values.contains { $0.contains("sk-test") } })
    }

    @Test func retryAfterHeadersAreReadAndCapped() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        func seconds(_ headers: [String: String]) -> Double? {
            OpenAIErrorClassifier.retryAfterSeconds(header: { headers[$0] }, now: now)
        }
        #expect(seconds(["retry-after-ms": "1500", "retry-after": "9"]) == 1.5)
        #expect(seconds(["retry-after": "12"]) == 12)
        #expect(seconds(["retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"]) == 30)
        #expect(seconds(["retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"]) == 0)
        #expect(seconds(["retry-after": "86400"]) == OpenAIErrorClassifier.maxRetryAfterSeconds)
        #expect(seconds(["retry-after": "soon"]) == nil)
        #expect(seconds([:]) == nil)
    }

    @Test func statusesAreClassifiedAsTheSDKsDo() {
        func classify(_ status: Int, body: String = "{}", headers: [String: String] = [:]) -> DubbingError {
            OpenAIErrorClassifier.classify(
                status: status, header: { headers[$0] }, body: Data(body.utf8), operation: "test", now: Date()
            )
        }
        #expect(classify(408).code == "provider_timeout" && classify(408).isTransient)
        #expect(classify(409).code == "provider_unavailable" && classify(409).isTransient)
        #expect(classify(503).isTransient)
        #expect(classify(401).code == "provider_unauthorized" && !classify(401).isTransient)
        #expect(classify(404).code == "provider_rejected" && !classify(404).isTransient)
        #expect(!classify(500, headers: ["x-should-retry": "false"]).isTransient)
        #expect(classify(400, headers: ["x-should-retry": "true"]).isTransient)
        let quota = classify(429, body: #"{"error": {"message": "quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#)
        #expect(quota.code == "insufficient_quota" && !quota.isTransient)
        #expect(quota.message.contains("quota"))
    }
}
