import Foundation

/// How much text one job may voice: a credit pays for ten seconds of audio, and the
/// provider's cost (and the worker's memory and time) grows with the text spoken, so the
/// text is bounded by the audio's length. Fast speech is about 20 characters a second;
/// the budget allows twice that, and a floor for short clips.
///
/// Checked at upload for subtitles (422 `too_much_text`), and in the pipeline on every
/// script before synthesis, whatever produced it (subtitles, transcription, translation).
public enum SpeechBudget {
    public static let maxCharactersPerSecond: Int64 = 40
    public static let minimumCharacters: Int64 = 400

    /// The most characters a job of `durationMilliseconds` may voice.
    public static func maxCharacters(forDurationMilliseconds durationMilliseconds: Int64) -> Int64 {
        max(minimumCharacters, durationMilliseconds * maxCharactersPerSecond / 1_000)
    }

    /// Reads and checks an uploaded subtitles file as the pipeline will use it.
    /// - Throws: `DubbingError` `invalid_subtitles` (unreadable, not subtitles, no cue
    ///   within the audio) or `too_much_text`.
    public static func checkSubtitles(atPath path: String, durationMilliseconds: Int64) throws(DubbingError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidSubtitles("the subtitles file cannot be read")
        }
        let script = Segment.normalized(try SubtitleParser().parse([UInt8](data)), durationMilliseconds: durationMilliseconds)
        guard !script.isEmpty else { throw .invalidSubtitles("no cue with text falls within the audio") }
        try check(script, durationMilliseconds: durationMilliseconds)
    }

    /// - Throws: `too_much_text` when `script` has more characters than the budget.
    static func check(_ script: [Segment], durationMilliseconds: Int64) throws(DubbingError) {
        let characters = Int64(script.reduce(0) { $0 + $1.text.count })
        let limit = maxCharacters(forDurationMilliseconds: durationMilliseconds)
        guard characters <= limit else {
            throw .tooMuchText(
                "\(characters) characters to speak for \(durationMilliseconds / 1_000) s of audio; at most \(limit) "
                    + "(\(maxCharactersPerSecond) a second)")
        }
    }
}
