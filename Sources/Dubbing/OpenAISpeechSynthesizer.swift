/// Speech from `POST /audio/speech`, saved as the raw samples the provider returns
/// (`.pcm`: the assemble step's own format).
struct OpenAISpeechSynthesizer: SpeechSynthesizer {
    let client: OpenAIClient
    let folder: WorkFolder
    let model: String
    let configuredVoice: String
    let concurrency: Int

    var clipExtension: String { ClipFitter.rawClipExtension }
    var maxInputCharacters: Int { OpenAIClient.maxSpeechInputCharacters }
    var defaultVoice: String? { self.configuredVoice }
    /// Voices every speech model has (`marin` and `cedar` need `gpt-4o-mini-tts`), alternating
    /// low and high so that neighbouring speakers sound apart.
    var speakerVoices: [String] { ["onyx", "nova", "echo", "shimmer", "fable", "coral", "ash", "sage", "alloy", "ballad", "verse"] }

    func synthesize(_ text: String, language: String, voice: String?, to file: String) async throws(DubbingError) {
        // The model speaks the language of the text; `language` needs no parameter here.
        let audio = try await self.client.speech(
            text: text, model: self.model, voice: voice ?? self.configuredVoice,
            instructions: SpeechTone.takesInstructions(model: self.model) ? SpeechTone(of: text).instructions : nil)
        try self.folder.writeAtomically(audio, to: file)
    }
}
