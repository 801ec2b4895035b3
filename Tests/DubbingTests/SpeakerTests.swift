import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

/// `speakers=auto`: the diarizing model's labels, one voice per speaker, the same label
/// for the same person across the pieces of a long file.
@Suite(.timeLimit(.minutes(5))) struct SpeakerTests {
    /// What the engine left beside its output.
    static func transcript(besideOutput output: String) throws -> DubbingTranscript {
        let data = try #require(FileManager.default.contents(atPath: DubbingTranscript.path(besideOutput: output)))
        return try JSONDecoder().decode(DubbingTranscript.self, from: data)
    }

    /// The label the fake gives a block's tone: 440 Hz is heard first, so it is `A`.
    static func expectedSpeaker(_ line: DubbingTranscript.Line, blocks: SpeakerTones) -> String {
        let middleSeconds = Double(line.startMilliseconds + line.endMilliseconds) / 2_000
        let block = min(blocks.frequencies.count - 1, Int(middleSeconds / blocks.blockSeconds))
        return blocks.frequencies[block] == blocks.frequencies[0] ? "A" : "B"
    }

    @Test func twoSpeakersAreDubbedWithTwoVoices() async throws {
        let folder = try TemporaryDirectory("auris-speakers")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let blocks = SpeakerTones(frequencies: [440, 660, 440, 660])
            let source = try await blocks.write(to: folder.appending("source.wav"))
            var configuration = EngineConfiguration.fake(server)
            configuration.speechModel = "gpt-4o-mini-tts"
            let request = DubbingRequest(
                targetLanguage: "fr", sourceLanguage: "en", durationMilliseconds: try await AudioFixture.durationMilliseconds(source),
                speakers: .auto)
            let output = folder.appending("out.mp3")
            try await configuration.makeEngine().dub(
                request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"), outputPath: output,
                logger: testLogger) { _, _ in }

            let diarizations = server.diarizationRequests()
            #expect(diarizations.map(\.answeredSpeakers) == [["A", "B", "A", "B"]])
            let transcript = try Self.transcript(besideOutput: output)
            #expect(transcript.lines.map(\.speaker) == ["A", "B", "A", "B"])
            #expect(transcript.lines.allSatisfy { $0.sourceText?.contains("Line") == true && $0.targetText.hasPrefix("[translated]") })
            // Each line was spoken by its speaker's voice, and the two speakers' voices differ.
            let speech = server.speechRequests()
            #expect(speech.count == 4)
            var voiceOf: [String: Set<String>] = [:]
            for line in transcript.lines {
                let request = try #require(speech.first { $0.input == line.targetText })
                #expect(request.voice == line.voice)
                // The fake's lines end with a full stop: spoken as statements.
                #expect(request.instructions == SpeechTone.statement.instructions)
                voiceOf[line.speaker ?? "-", default: []].insert(request.voice)
            }
            #expect(voiceOf["A"] == ["alloy"] && voiceOf["B"] == ["onyx"])
        }
    }

    @Test func aLongFileKeepsItsSpeakersAcrossThreePieces() async throws {
        let folder = try TemporaryDirectory("auris-speakers")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            // The second piece starts with the second speaker: without references the
            // fake would call them A there.
            let blocks = SpeakerTones(frequencies: [440, 660, 660, 440, 660, 440])
            let source = try await blocks.write(to: folder.appending("source.wav"))
            var configuration = EngineConfiguration.fake(server)
            // 7 s of prepared audio per piece at most: 18 s make three pieces.
            configuration.maxPieceBytes = 62_222
            let request = DubbingRequest(
                targetLanguage: "fr", sourceLanguage: "en", durationMilliseconds: try await AudioFixture.durationMilliseconds(source),
                speakers: .auto, voices: ["B": "nova"])
            let output = folder.appending("out.mp3")
            try await configuration.makeEngine().dub(
                request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"), outputPath: output,
                logger: testLogger) { _, _ in }

            let diarizations = server.diarizationRequests()
            #expect(diarizations.count == 3)
            #expect(diarizations.first?.knownSpeakerNames == [])
            #expect(diarizations.dropFirst().allSatisfy { $0.knownSpeakerNames == ["speaker_A", "speaker_B"] })
            #expect(diarizations.dropFirst().first?.answeredSpeakers == ["speaker_B", "speaker_A"])
            let transcript = try Self.transcript(besideOutput: output)
            #expect(transcript.lines.count == 6)
            for line in transcript.lines {
                #expect(line.speaker == Self.expectedSpeaker(line, blocks: blocks), "line at \(line.startMilliseconds) ms")
            }
            // `voices=B:nova` chose B's voice; A has the default.
            let speech = server.speechRequests()
            for line in transcript.lines {
                let voice = try #require(speech.first { $0.input == line.targetText }).voice
                #expect(voice == (line.speaker == "B" ? "nova" : "alloy"))
            }
            // tts-1 takes no instructions: none were sent.
            #expect(speech.allSatisfy { $0.instructions == nil })
        }
    }

    @Test func aRefusedDiarizationIsAPermanentFailureOfItsOwn() async throws {
        let folder = try TemporaryDirectory("auris-speakers")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await SpeakerTones(frequencies: [440, 660]).write(to: folder.appending("source.wav"))
            server.inject(.badRequest, on: .transcriptions)
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 6_000, speakers: .auto)
            let error = await #expect(throws: DubbingError.self) {
                try await EngineConfiguration.fake(server).makeEngine().dub(
                    request, source: DubbingSource(audioPath: source), workFolder: folder.appending("work"),
                    outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            #expect(error?.code == "diarization_refused")
            #expect(error?.isTransient == false)
            #expect(server.answered(.speech) == 0)
        }
    }

    @Test func questionsAndExclamationsKeepTheirTone() async throws {
        let folder = try TemporaryDirectory("auris-speakers")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.wav"))
            let subtitles = try folder.write("""
                1
                00:00:00,500 --> 00:00:02,500
                [Ann] Vous venez ce soir ?

                2
                00:00:03,000 --> 00:00:05,000
                [Bob] Oui, bien sûr !

                """, to: "fr.srt")
            var configuration = EngineConfiguration.fake(server)
            configuration.speechModel = "gpt-4o-mini-tts"
            let request = DubbingRequest(hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: 6_000, speakers: .auto)
            try await configuration.makeEngine().dub(
                request, source: DubbingSource(audioPath: source, subtitlesPath: subtitles), workFolder: folder.appending("work"),
                outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            let speech = server.speechRequests()
            let question = try #require(speech.first { $0.input == "Vous venez ce soir ?" })
            let exclamation = try #require(speech.first { $0.input == "Oui, bien sûr !" })
            #expect(question.instructions == SpeechTone.question.instructions)
            #expect(exclamation.instructions == SpeechTone.exclamation.instructions)
            #expect(question.voice != exclamation.voice)
            #expect(server.diarizationRequests().isEmpty)
        }
    }

    @Test func toneIsReadFromTheClosingPunctuation() {
        #expect(SpeechTone(of: "¿Vienes esta noche?") == .question)
        #expect(SpeechTone(of: "« Tu viens ? »") == .question)
        #expect(SpeechTone(of: "Really?!") == .question)
        #expect(SpeechTone(of: "Watch out!") == .exclamation)
        #expect(SpeechTone(of: "It is late.") == .statement)
        #expect(SpeechTone(of: "No punctuation") == .statement)
    }

    @Test func offlineSpeakerCuesGetTwoEspeakVoices() async throws {
        let folder = try TemporaryDirectory("auris-speakers")
        defer { folder.remove() }
        let source = try await AudioFixture.tone(seconds: 6, at: folder.appending("source.wav"))
        let subtitles = try folder.write("""
            WEBVTT

            00:00.500 --> 00:02.500
            [Ann] Bonjour.

            00:03.000 --> 00:05.000
            [Bob] Bonjour.
            """, to: "fr.vtt")
        let request = DubbingRequest(hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: 6_000, speakers: .auto)
        let output = folder.appending("out.mp3")
        try await EngineConfiguration(engine: .offline).makeEngine().dub(
            request, source: DubbingSource(audioPath: source, subtitlesPath: subtitles), workFolder: folder.appending("work"),
            outputPath: output, logger: testLogger) { _, _ in }
        let transcript = try Self.transcript(besideOutput: output)
        #expect(transcript.lines.map(\.speaker) == ["Ann", "Bob"])
        #expect(transcript.lines.map(\.targetText) == ["Bonjour.", "Bonjour."])
        #expect(transcript.lines.map(\.voice) == ["m3", "f2"])
        #expect(!transcript.hasSourceText)
        // The same word in two espeak-ng voices: two different recordings.
        let first = try #require(FileManager.default.contents(atPath: folder.appending("work/clips/0000.wav")))
        let second = try #require(FileManager.default.contents(atPath: folder.appending("work/clips/0001.wav")))
        #expect(first != second)
    }
}
