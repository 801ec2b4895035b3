/// Turns one line of text into an audio file: OpenAI's speech endpoint or espeak-ng.
protocol SpeechSynthesizer: Sendable {
    /// Extension of the files it writes (`mp3`, `wav`); ffmpeg reads either.
    var clipExtension: String { get }
    /// The longest text one call takes; longer lines are split by `TextSplitter`.
    var maxInputCharacters: Int { get }
    /// Calls in flight at once for one job.
    var concurrency: Int { get }
    /// The voice when the request names none; `nil`: the language's own voice.
    var defaultVoice: String? { get }
    /// Voices to give different speakers, in the order they are handed out.
    var speakerVoices: [String] { get }

    /// Speaks `text` and writes the audio to `file` atomically (complete or absent).
    func synthesize(_ text: String, language: String, voice: String?, to file: String) async throws(DubbingError)
}
