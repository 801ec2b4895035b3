import Media
import Testing

@Suite(.timeLimit(.minutes(5))) struct MediaErrorTests {
    @Test("only an unknown format or a missing audio stream means 'not audio'")
    func notAudioMapping() {
        let notAudio = [MediaError.unknownFormat("x"), .noAudioStream("x")]
        let invalidAudio = [
            MediaError.emptyFile(), .invalidDuration("x"), .corrupt("x"), .unreadable("x"), .timeout(seconds: 1),
            .tooLong(durationMilliseconds: 2, limitMilliseconds: 1, measuredToEnd: true),
        ]
        #expect(notAudio.map(\.code) == ["unknown_format", "no_audio_stream"])
        #expect(notAudio.allSatisfy { $0.isNotAudio })
        #expect(invalidAudio.map(\.code) == ["empty_file", "invalid_duration", "corrupt", "unreadable", "timeout", "too_long"])
        #expect(!invalidAudio.contains { $0.isNotAudio })
    }

    @Test("too_long states both lengths in seconds")
    func tooLongMessage() {
        let error = MediaError.tooLong(durationMilliseconds: 3_600_005, limitMilliseconds: 3_600_000, measuredToEnd: true)
        #expect(error.description == "too_long: the audio is 3600.005 s long; the limit is 3600.000 s")
    }
}
