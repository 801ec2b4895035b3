import Logging

/// Dubs without any network: the uploaded subtitles, spoken by espeak-ng. For
/// development, demos and tests; it needs subtitles in the target language.
struct OfflineEngine: PipelineEngine {
    let pipeline: DubbingPipeline

    var name: String { "offline" }

    init(configuration: EngineConfiguration) {
        self.pipeline = DubbingPipeline(
            configuration: configuration,
            client: nil,
            makeSynthesizer: { folder, _ in
                EspeakSpeechSynthesizer(folder: folder, timeoutSeconds: configuration.ffmpegTimeoutSeconds)
            }
        )
    }

    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String? {
        guard hasSubtitles else {
            return "the offline engine dubs from subtitles only: upload an SRT or WebVTT file in the target language"
        }
        guard EspeakSpeechSynthesizer.voices[targetLanguage] != nil else {
            return "the offline engine (espeak-ng) cannot speak \(targetLanguage)"
        }
        return nil
    }
}
