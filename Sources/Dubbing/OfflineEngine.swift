import Logging

/// Dubs without any network: the uploaded subtitles, spoken by espeak-ng. For
/// development, demos and tests; it needs subtitles in the target language.
struct OfflineEngine: DubbingEngine {
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

    func dub(
        _ request: DubbingRequest,
        workFolder: String,
        outputPath: String,
        logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        if let reason = self.unsupportedReason(
            targetLanguage: request.targetLanguage, hasSubtitles: request.subtitlesPath != nil, voice: request.voice
        ) {
            throw .unsupported(reason)
        }
        try await self.pipeline.run(request, workFolder: workFolder, outputPath: outputPath, logger: logger, progress: progress)
    }
}
