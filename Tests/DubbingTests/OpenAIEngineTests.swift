import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct OpenAIEngineTests {
    @Test func dubsAClipEndToEnd() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        // 0.1 s of speech per character: longer than the slots, so clips are time-stretched.
        try await withFakeOpenAI(.init(speechSecondsPerCharacter: 0.1)) { server in
            let source = try await AudioFixture.tone(seconds: 8, at: folder.appending("source.wav"))
            let sourceMilliseconds = try await AudioFixture.durationMilliseconds(source)
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let progress = ProgressLog()
            let request = DubbingRequest(
                targetLanguage: "fr", sourceLanguage: "en", durationMilliseconds: sourceMilliseconds
            )
            let uploaded = DubbingSource(audioPath: source)
            let output = folder.appending("out.mp3")

            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: output, logger: testLogger) { await progress.record($0, $1) }

            let outputMilliseconds = try await AudioFixture.durationMilliseconds(output)
            #expect(abs(outputMilliseconds - sourceMilliseconds) <= 100)
            // The dub speaks (the fake's tones), it is not silence.
            #expect(try await AudioFixture.maxVolumeDecibels(output) > -20)
            // 8 s at one segment per 3 s: three segments, one transcription, one translation batch.
            #expect(server.answered(.transcriptions) == 1)
            #expect(server.answered(.chatCompletions) == 1)
            #expect(server.answered(.speech) == 3)
            #expect(server.stats().duplicates.isEmpty)
            // What is spoken is the translation.
            let spoken = try #require(server.stats().answeredByInput["speech"]).keys
            #expect(spoken.allSatisfy { $0.hasPrefix("[translated] Line ") })
            #expect(await progress.isNonDecreasing)
            let last = try #require(await progress.reports.last)
            #expect(last.0 == .assemble && last.1 == 1)
        }
    }

    @Test func keepsTheOriginalUnderneathAtTheSameLength() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.mp3"))
            let sourceMilliseconds = try await AudioFixture.durationMilliseconds(source)
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(
                targetLanguage: "de", keepBackground: true, durationMilliseconds: sourceMilliseconds
            )
            let uploaded = DubbingSource(audioPath: source)
            let output = folder.appending("out.mp3")
            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: output, logger: testLogger) { _, _ in }
            #expect(abs(try await AudioFixture.durationMilliseconds(output) - sourceMilliseconds) <= 100)
            // In the last 0.4 s no segment speaks (the fake's segments cover 90 % of their slot): the original is heard.
            #expect(try await AudioFixture.maxVolumeDecibels(output, startSeconds: 5.65, seconds: 0.3) > -30)
        }
    }

    @Test func subtitlesSkipTranscriptionAndTranslation() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 5, at: folder.appending("source.wav"))
            let subtitles = try folder.write("""
                WEBVTT

                00:00.500 --> 00:02.000
                Guten Tag.

                00:02.500 --> 00:04.000
                Auf Wiedersehen.
                """, to: "de.vtt")
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(
                hasSubtitles: true, targetLanguage: "de", durationMilliseconds: 5_000
            )
            let uploaded = DubbingSource(audioPath: source, subtitlesPath: subtitles)
            let output = folder.appending("out.mp3")
            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: output, logger: testLogger) { _, _ in }

            #expect(server.calls(.transcriptions) == 0)
            #expect(server.calls(.chatCompletions) == 0)
            #expect(server.stats().answeredByInput["speech"] == ["Guten Tag.": 1, "Auf Wiedersehen.": 1])
            #expect(abs(try await AudioFixture.durationMilliseconds(output) - 5_000) <= 100)
        }
    }

    @Test func splitsLongSourcesIntoPiecesAndOffsetsTheirSegments() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        // A segment per 2 s: two in each piece, wherever within ±0.4 s the cut falls.
        try await withFakeOpenAI(.init(transcriptionSegmentSeconds: 2)) { server in
            let source = try await AudioFixture.tone(seconds: 8, at: folder.appending("source.wav"))
            var configuration = EngineConfiguration.fake(server)
            // 40 kB at 64 kbit/s: pieces of at most 4.5 s, so two of about 4.5 s and 3.5 s.
            configuration.maxPieceBytes = 40_000
            let engine = try configuration.makeEngine()
            let request = DubbingRequest(targetLanguage: "es", durationMilliseconds: 8_000)
            let uploaded = DubbingSource(audioPath: source)
            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }

            let work = WorkFolder(path: folder.appending("work"))
            let pieces = try #require(work.readJSON([PreparedPiece].self, from: work.piecesManifest))
            #expect(pieces.map(\.fileName) == ["piece000.mp3", "piece001.mp3"])
            #expect((4_000...5_000).contains(pieces[1].offsetMilliseconds))
            #expect(server.answered(.transcriptions) == 2)
            let transcript = try #require(work.readJSON([Segment].self, from: work.transcriptFile))
            // The fake's segments start at 0 in each piece: the second piece's first one lands at the piece's offset.
            #expect(transcript.count == 4)
            #expect(transcript.first?.startMilliseconds == 0)
            #expect(transcript[2].startMilliseconds == pieces[1].offsetMilliseconds)
        }
    }

    @Test func cancellingMidSynthesisStopsPromptly() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 6_000)
            let uploaded = DubbingSource(audioPath: source)
            // Every speech call would take 120 s: cancellation must not wait for them.
            server.setLatency(milliseconds: 120_000, for: .speech)
            let progress = ProgressLog()
            let job = Task {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) {
                    await progress.record($0, $1)
                }
            }
            await progress.waitFor(.synthesize)
            let canceledAt = ContinuousClock.now
            job.cancel()
            let result = await job.result
            // Generous for a busy two-core machine, far below the 120 s a speech call would take.
            #expect(ContinuousClock.now - canceledAt < .seconds(20))
            #expect(throws: DubbingError.self) { try result.get() }
            #expect((result.error as? DubbingError)?.code == "canceled")
            #expect(server.answered(.speech) == 0)
        }
    }

    @Test func refusesAWorkFolderOfAnotherRequest() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let engine = try EngineConfiguration(engine: .offline).makeEngine()
        let subtitles = try folder.write("1\n00:00:00,500 --> 00:00:01,500\nBonjour.\n", to: "fr.srt")
        let source = try await AudioFixture.tone(seconds: 2, at: folder.appending("source.wav"))
        var request = DubbingRequest(hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: 2_000)
        let uploaded = DubbingSource(audioPath: source, subtitlesPath: subtitles)
        try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("a.mp3"), logger: testLogger) { _, _ in }
        request.targetLanguage = "de"
        let error = await #expect(throws: DubbingError.self) {
            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("b.mp3"), logger: testLogger) { _, _ in }
        }
        #expect(error?.code == "invalid_configuration")
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
