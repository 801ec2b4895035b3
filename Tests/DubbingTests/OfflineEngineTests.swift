import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct OfflineEngineTests {
    @Test func dubsSubtitlesIntoFrenchSpeechOfTheSourceLength() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let source = try await AudioFixture.tone(seconds: 7, at: folder.appending("source.mp3"))
        let sourceMilliseconds = try await AudioFixture.durationMilliseconds(source)
        let subtitles = try folder.write("""
            1
            00:00:00,500 --> 00:00:02,500
            Bonjour tout le monde.

            2
            00:00:03,000 --> 00:00:05,000
            <i>Ceci est un doublage</i> hors ligne.

            """, to: "fr.srt")
        let engine = try EngineConfiguration(engine: .offline).makeEngine()
        #expect(engine.name == "offline")
        let request = DubbingRequest(
            hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: sourceMilliseconds
        )
        let uploaded = DubbingSource(audioPath: source, subtitlesPath: subtitles)
        let output = folder.appending("out.mp3")

        try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: output, logger: testLogger) { _, _ in }

        #expect(abs(try await AudioFixture.durationMilliseconds(output) - sourceMilliseconds) <= 100)
        // espeak-ng spoke both cues, and the markup was not read out.
        #expect(FileManager.default.fileExists(atPath: folder.appending("work/clips/0000.wav")))
        #expect(FileManager.default.fileExists(atPath: folder.appending("work/clips/0001.wav")))
        #expect(try await AudioFixture.maxVolumeDecibels(output, startSeconds: 0.5, seconds: 1.5) > -30)
        // Before the first cue there is silence.
        #expect(try await AudioFixture.maxVolumeDecibels(output, startSeconds: 0, seconds: 0.4) < -60)
    }

    @Test func refusesWhatItCannotDo() throws {
        let engine = try EngineConfiguration(engine: .offline).makeEngine()
        #expect(engine.unsupportedReason(targetLanguage: "fr", hasSubtitles: false, voice: nil) != nil)
        #expect(engine.unsupportedReason(targetLanguage: "gl", hasSubtitles: true, voice: nil) != nil)
        #expect(engine.unsupportedReason(targetLanguage: "fr", hasSubtitles: true, voice: nil) == nil)
        #expect(engine.unsupportedReason(targetLanguage: "zh", hasSubtitles: true, voice: nil) == nil)
    }

    @Test func reportsBrokenSubtitlesAsPermanent() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let source = try await AudioFixture.tone(seconds: 2, at: folder.appending("source.wav"))
        let subtitles = try folder.write("1\n00:00:01,000 -> 00:00:02,000\nOops\n", to: "bad.srt")
        let engine = try EngineConfiguration(engine: .offline).makeEngine()
        let request = DubbingRequest(hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: 2_000)
        let uploaded = DubbingSource(audioPath: source, subtitlesPath: subtitles)
        let error = await #expect(throws: DubbingError.self) {
            try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
        }
        #expect(error?.code == "invalid_subtitles")
        #expect(error?.isTransient == false)
    }
}
