import Foundation
import Testing

@testable import Dubbing

/// The text a job may voice is bounded by its audio's length, so that one credit cannot
/// buy a million characters of speech.
@Suite struct SpeechBudgetTests {
    @Test func theBudgetGrowsWithTheAudioAboveAFloor() {
        #expect(SpeechBudget.maxCharacters(forDurationMilliseconds: 1_000) == 400)
        #expect(SpeechBudget.maxCharacters(forDurationMilliseconds: 10_000) == 400)
        #expect(SpeechBudget.maxCharacters(forDurationMilliseconds: 60_000) == 2_400)
    }

    @Test func subtitlesOverTheBudgetAreRefusedAndAtItAccepted() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        func cue(_ characters: Int) throws -> String {
            try folder.write("1\n00:00:00,000 --> 00:00:01,000\n\(String(repeating: "a", count: characters))\n", to: "c\(characters).srt")
        }
        try SpeechBudget.checkSubtitles(atPath: try cue(400), durationMilliseconds: 1_000)
        #expect(throws: DubbingError.self) { try SpeechBudget.checkSubtitles(atPath: try cue(401), durationMilliseconds: 1_000) }
        let dense = try cue(1_999)
        do throws(DubbingError) {
            try SpeechBudget.checkSubtitles(atPath: dense, durationMilliseconds: 1_000)
            Issue.record("1,999 characters for one second were accepted")
        } catch {
            #expect(error.code == "too_much_text")
            #expect(!error.isTransient)
            #expect(error.message.contains("1999 characters"))
        }
    }

    @Test func unreadableSubtitlesAreRefusedAsInvalid() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("this is not a subtitles file\n", to: "bad.srt")
        do throws(DubbingError) {
            try SpeechBudget.checkSubtitles(atPath: path, durationMilliseconds: 5_000)
            Issue.record("accepted")
        } catch {
            #expect(error.code == "invalid_subtitles")
            #expect(error.isRequestRefusal)
        }
    }
}
