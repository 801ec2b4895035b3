import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

/// Long files: pieces transcribed at once, speech paced by the provider's rate limit,
/// 429s waited out, and nothing paid twice.
@Suite(.timeLimit(.minutes(5))) struct LongFileTests {
    /// A 40-s source cut into 10-s pieces, four transcription slots.
    private func engine(_ server: FakeOpenAIServer) throws -> any DubbingEngine {
        var configuration = EngineConfiguration.fake(server)
        configuration.transcriptionPieceSeconds = 10
        configuration.transcriptionConcurrency = 4
        return try configuration.makeEngine()
    }

    @Test func piecesAreTranscribedAtOnceAndTheTranscriptKeepsTheirOrderAndOffsets() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        // Each transcription takes a while, so calls sent together are in flight together.
        let latency = FakeOpenAILatency(baseMilliseconds: 1_000, millisecondsPerUnit: 0)
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 2.5, latency: [.transcriptions: latency])) { server in
            let source = try await AudioFixture.tone(seconds: 40, at: folder.appending("source.wav"))
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 40_000)
            let progress = ProgressLog()
            try await self.engine(server).dub(
                request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"),
                outputPath: folder.appending("out.mp3"), logger: testLogger
            ) { await progress.record($0, $1) }

            let work = WorkFolder(path: folder.appending("work"))
            let pieces = try #require(work.readJSON([PreparedPiece].self, from: work.piecesManifest))
            #expect(pieces.count == 4)
            #expect(server.answered(.transcriptions) == 4)
            #expect((server.stats().maxInFlight["transcriptions"] ?? 0) >= 2, "the pieces were sent one after another")

            // Every piece's lines, moved by the piece's offset, in piece order: the transcript.
            var expected: [(Int64, String)] = []
            for (index, piece) in pieces.enumerated() {
                let answer = try #require(work.readJSON(OpenAIClient.Transcription.self, from: work.pieceTranscript(index)))
                #expect(!answer.segments.isEmpty)
                expected += answer.segments.map {
                    (piece.offsetMilliseconds + TranscribeStage.milliseconds($0.start), $0.text.trimmingWhitespace())
                }
            }
            let transcript = try #require(work.readJSON([Segment].self, from: work.transcriptFile))
            #expect(transcript.map(\.startMilliseconds) == expected.map(\.0))
            #expect(transcript.map(\.text) == expected.map(\.1))
            #expect(transcript.map(\.id) == Array(transcript.indices))
            #expect(Set(expected.map(\.1)).count == expected.count, "each piece's lines name its own audio")

            let transcribing = await progress.reports.filter { $0.0 == .transcribe }
            #expect(transcribing.count == 4, "one report per piece")
            #expect(await progress.isNonDecreasing)
        }
    }

    @Test func aFailedLaterPieceDoesNotRepayTheOthers() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 40, at: folder.appending("source.wav"))
            let engine = try self.engine(server)
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 40_000)
            let uploaded = DubbingSource(audioPath: source)
            server.inject(.serverError, on: .transcriptions, afterCalls: 2)

            let error = await #expect(throws: DubbingError.self) {
                try await engine.dub(
                    request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"),
                    logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "provider_unavailable")
            // The pieces in flight beside the failed one were answered and kept.
            #expect(server.answered(.transcriptions) == 3)
            #expect(server.calls(.speech) == 0)

            try await engine.dub(
                request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"),
                logger: testLogger) { _, _ in }
            #expect(server.answered(.transcriptions) == 4)
            #expect(server.calls(.transcriptions) == 5)
            #expect(server.stats().duplicates.isEmpty)
        }
    }

    @Test func aRateLimitedCallWaitsOutItsRetryAfterAndTheJobSucceeds() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 2)) { server in
            let source = try await AudioFixture.tone(seconds: 8, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "de", durationMilliseconds: 8_000)
            server.inject(.rateLimited(retryAfterSeconds: 1), on: .speech, count: 1, afterCalls: 1)
            server.inject(.rateLimited(retryAfterSeconds: 1), on: .transcriptions, count: 1)

            try await engine.dub(
                request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"),
                outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }

            #expect(FileManager.default.fileExists(atPath: folder.appending("out.mp3")))
            #expect(server.answered(.speech) == 4 && server.calls(.speech) == 5)
            #expect(server.answered(.transcriptions) == 1 && server.calls(.transcriptions) == 2)
            #expect(server.stats().duplicates.isEmpty)
        }
    }

    @Test func speechKeepsWithinTheProvidersRateLimit() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        // 4 speech calls per 2 s, refilled evenly; the job has 16 lines and 16 slots.
        let limit = FakeOpenAIRateLimit(requests: 4, windowSeconds: 2)
        let latency = FakeOpenAILatency(baseMilliseconds: 100, millisecondsPerUnit: 1)
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 1.5, latency: [.speech: latency], rateLimits: [.speech: limit])) { server in
            let source = try await AudioFixture.tone(seconds: 24, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "es", durationMilliseconds: 24_000)

            try await engine.dub(
                request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"),
                outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }

            let stats = server.stats()
            #expect(server.answered(.speech) == 16)
            // The limiter keeps a margin for the time between sending and the provider's count;
            // a machine slower than that may see a 429 now and then, but never a storm.
            let refused = stats.rateLimited["speech"] ?? 0
            #expect(refused <= 1, "\(refused) calls were refused for the rate limit")
            #expect(server.calls(.speech) == 16 + refused)
            #expect((stats.maxInFlight["speech"] ?? 0) <= limit.requests)
            #expect(stats.duplicates.isEmpty)
        }
    }

    @Test func rateLimitResetsReadAsOpenAIWritesThem() {
        #expect(OpenAIRateLimiter.seconds("1s") == 1)
        #expect(OpenAIRateLimiter.seconds("6m0s") == 360)
        #expect(OpenAIRateLimiter.seconds("20ms") == 0.02)
        #expect(OpenAIRateLimiter.seconds("1h2m3.5s") == 3_723.5)
        #expect(OpenAIRateLimiter.seconds("") == nil)
        #expect(OpenAIRateLimiter.seconds("soon") == nil)
        #expect(OpenAIRateLimiter.seconds("5") == nil)
    }

    @Test func longSourcesArePreparedInPiecesOfTheSetLength() throws {
        var configuration = try EngineConfiguration(environment: [
            "OPENAI_API_KEY": "sk-x", "AURIS_TRANSCRIBE_PIECE_SECONDS": "60", "AURIS_TRANSCRIBE_CONCURRENCY": "6",
            "AURIS_SPEECH_CONCURRENCY": "32", "AURIS_OPENAI_RATE_LIMITS": "0",
        ])
        #expect(configuration.transcriptionConcurrency == 6 && configuration.speechConcurrency == 32 && !configuration.rateLimited)
        let prepare = PrepareStage(
            folder: WorkFolder(path: "/nonexistent"), maxPieceBytes: configuration.preparedPieceBytes(diarized: false),
            ffmpegTimeoutSeconds: 1)
        // Ten minutes: ten pieces of a minute (and the half second PrepareStage adds).
        #expect(abs(prepare.pieceSeconds(durationMilliseconds: 600_000) - 60.5) < 0.01)
        #expect(configuration.preparedPieceBytes(diarized: true) == configuration.maxPieceBytes)
        configuration.maxPieceBytes = 100_000
        #expect(configuration.preparedPieceBytes(diarized: false) == 100_000)
        for (name, value) in [
            ("AURIS_TRANSCRIBE_PIECE_SECONDS", "5"), ("AURIS_TRANSCRIBE_CONCURRENCY", "33"),
            ("AURIS_SPEECH_CONCURRENCY", "2.5"), ("AURIS_OPENAI_RATE_LIMITS", "yes"),
        ] {
            #expect(throws: DubbingError.self) { try EngineConfiguration(environment: ["OPENAI_API_KEY": "sk-x", name: value]) }
        }
    }
}
