/// Speech from `POST /audio/speech`, saved as the raw samples the provider returns
/// (`.pcm`: the assemble step's own format).
struct OpenAISpeechSynthesizer: SpeechSynthesizer {
    let client: OpenAIClient
    let folder: WorkFolder
    let model: String
    let defaultVoice: String
    let concurrency: Int

    var clipExtension: String { ClipFitter.rawClipExtension }
    var maxInputCharacters: Int { OpenAIClient.maxSpeechInputCharacters }

    func synthesize(_ text: String, language: String, voice: String?, to file: String) async throws(DubbingError) {
        // The model speaks the language of the text; `language` needs no parameter here.
        let audio = try await self.client.speech(text: text, model: self.model, voice: voice ?? self.defaultVoice)
        try self.folder.writeAtomically(audio, to: file)
    }
}
