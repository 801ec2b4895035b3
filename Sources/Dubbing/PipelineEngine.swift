import Logging

/// An engine that runs the shared `DubbingPipeline`: it refuses what it cannot do, then
/// hands the request to the pipeline. The engines differ only in how they build it.
protocol PipelineEngine: DubbingEngine {
    var pipeline: DubbingPipeline { get }
}

extension PipelineEngine {
    func dub(
        _ request: DubbingRequest,
        source: DubbingSource,
        workFolder: String,
        outputPath: String,
        logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        // The API refuses such requests at upload; a job queued before a configuration
        // change can still reach here.
        if let reason = self.unsupportedReason(
            targetLanguage: request.targetLanguage, hasSubtitles: request.hasSubtitles, voice: request.voice
        ) {
            throw .unsupported(reason)
        }
        for voice in request.voices.values.sorted() {
            if let reason = self.unsupportedReason(
                targetLanguage: request.targetLanguage, hasSubtitles: request.hasSubtitles, voice: voice
            ) {
                throw .unsupported(reason)
            }
        }
        try await self.pipeline.run(
            request, source: source, workFolder: workFolder, outputPath: outputPath, logger: logger, progress: progress)
    }
}
