import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

/// A failed attempt followed by another with the same work folder: each provider
/// answer that arrived is used, never paid for again.
@Suite(.timeLimit(.minutes(5))) struct ResumeTests {
    @Test func resumesWithoutPayingTwiceForFinishedSteps() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 1.5)) { server in
            let source = try await AudioFixture.tone(seconds: 9, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "it", durationMilliseconds: 9_000)
            let uploaded = DubbingSource(audioPath: source)
            let work = folder.appending("work")
            let output = folder.appending("out.mp3")
            server.inject(.badRequest, on: .speech, count: 1, afterCalls: 2)

            let failure = await #expect(throws: DubbingError.self) {
                try await engine.dub(request, source: uploaded, workFolder: work, outputPath: output, logger: testLogger) { _, _ in }
            }
            #expect(failure?.code == "provider_rejected")
            #expect(failure?.isTransient == false)
            #expect(!FileManager.default.fileExists(atPath: output))
            let speechAnsweredFirst = server.answered(.speech)
            #expect(speechAnsweredFirst >= 2 && speechAnsweredFirst < 6)

            try await engine.dub(request, source: uploaded, workFolder: work, outputPath: output, logger: testLogger) { _, _ in }

            #expect(server.answered(.transcriptions) == 1)
            #expect(server.answered(.chatCompletions) == 1)
            #expect(server.answered(.speech) == 6)
            #expect(server.calls(.speech) == 7)
            #expect(server.stats().duplicates.isEmpty)
            #expect(FileManager.default.fileExists(atPath: output))
        }
    }

    @Test func aFailedPieceDoesNotRepeatTheTranscribedOnes() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 8, at: folder.appending("source.wav"))
            var configuration = EngineConfiguration.fake(server)
            configuration.maxPieceBytes = 40_000  // two pieces
            let engine = try configuration.makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 8_000)
            let uploaded = DubbingSource(audioPath: source)
            // A 429 is waited out within the call (LongFileTests); a 500 ends the attempt.
            server.inject(.serverError, on: .transcriptions, afterCalls: 1)

            let error = await #expect(throws: DubbingError.self) {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "provider_unavailable" && error?.isTransient == true)
            #expect(server.answered(.transcriptions) == 1)

            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            #expect(server.answered(.transcriptions) == 2)
            #expect(server.stats().duplicates.isEmpty)
        }
    }

    @Test func aFailedBatchDoesNotRepeatTheTranslatedOnes() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 1)) { server in
            let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.wav"))
            var configuration = EngineConfiguration.fake(server)
            configuration.translationBatchSegments = 2  // six segments: three batches
            let engine = try configuration.makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 6_000)
            let uploaded = DubbingSource(audioPath: source)
            server.inject(.serverError, on: .chatCompletions, afterCalls: 2)

            let error = await #expect(throws: DubbingError.self) {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "provider_unavailable" && error?.isTransient == true)
            #expect(server.answered(.chatCompletions) == 2)
            #expect(server.calls(.speech) == 0)

            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            #expect(server.answered(.chatCompletions) == 3)
            #expect(server.answered(.transcriptions) == 1)
            #expect(server.answered(.speech) == 6)
            #expect(server.stats().duplicates.isEmpty)
        }
    }
}
