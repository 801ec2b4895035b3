import Foundation
import Logging

/// The five steps in order, shared by both engines: they differ only in where the
/// script comes from (speech-to-text and translation, or subtitles) and who speaks it.
struct DubbingPipeline: Sendable {
    let configuration: EngineConfiguration
    /// `nil` for the offline engine, which can only dub from subtitles.
    let client: OpenAIClient?
    /// The speaker for one job, given its folder and its client (`nil` offline).
    let makeSynthesizer: @Sendable (WorkFolder, OpenAIClient?) -> any SpeechSynthesizer

    func run(
        _ request: DubbingRequest,
        workFolder: String,
        outputPath: String,
        logger: Logger,
        progress report: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        let progress = ProgressReporter(report: report)
        let client = self.client?.with(logger: logger)
        let startedAt = ContinuousClock.now
        let folder = WorkFolder(path: workFolder)
        guard request.durationMilliseconds > 0 else { throw .invalidAudio("the audio is empty") }
        try DubbingError.checkCancellation()
        try folder.createFolder(workFolder)
        try self.claim(folder, for: request)

        let script: [Segment]
        if let subtitlesPath = request.subtitlesPath {
            // Subtitles are already in the target language: they are the script.
            script = try self.subtitleScript(subtitlesPath, request: request)
            await progress(.translate, 1)
        } else {
            guard let client else {
                throw .unsupported("the offline engine needs subtitles")
            }
            await progress(.prepare, 0)
            let pieces = try await PrepareStage(
                folder: folder, maxPieceBytes: self.configuration.maxPieceBytes,
                ffmpegTimeoutSeconds: self.configuration.ffmpegTimeoutSeconds
            ).run(sourcePath: request.sourceAudioPath, durationMilliseconds: request.durationMilliseconds)
            await progress(.prepare, 1)
            try DubbingError.checkCancellation()
            let transcript = try await TranscribeStage(
                folder: folder, client: client, model: self.configuration.transcribeModel
            ).run(pieces: pieces, request: request, progress: progress)
            try DubbingError.checkCancellation()
            script = try await TranslateStage(
                folder: folder, client: client, model: self.configuration.translateModel,
                batchSegments: self.configuration.translationBatchSegments,
                batchCharacters: self.configuration.translationBatchCharacters
            ).run(transcript: transcript, request: request, progress: progress)
        }
        logger.debug("dubbing script ready", metadata: ["segments": "\(script.count)"])
        try SpeechBudget.check(script, durationMilliseconds: request.durationMilliseconds)

        try DubbingError.checkCancellation()
        let clips = try await SynthesizeStage(folder: folder, synthesizer: self.makeSynthesizer(folder, client))
            .run(script: script, request: request, progress: progress)
        try DubbingError.checkCancellation()
        try await AssembleStage(
            folder: folder, maxTempo: self.configuration.maxTempo,
            ffmpegTimeoutSeconds: self.configuration.ffmpegTimeoutSeconds
        ).run(script: script, clips: clips, request: request, outputPath: outputPath, progress: progress)
        logger.info("dubbed", metadata: [
            "segments": "\(script.count)", "elapsed": "\(startedAt.duration(to: .now))",
        ])
    }

    /// Records which request the folder belongs to, and refuses a folder that holds
    /// another request's work: its transcript or clips would end up in the wrong job.
    private func claim(_ folder: WorkFolder, for request: DubbingRequest) throws(DubbingError) {
        if folder.exists(folder.requestFile) {
            guard folder.readJSON(DubbingRequest.self, from: folder.requestFile) == request else {
                throw .invalidConfiguration("the work folder \(folder.path) belongs to a different request")
            }
            return
        }
        try folder.writeJSON(request, to: folder.requestFile)
    }

    private func subtitleScript(_ path: String, request: DubbingRequest) throws(DubbingError) -> [Segment] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidSubtitles("the subtitles file cannot be read")
        }
        let cues = try SubtitleParser().parse([UInt8](data))
        let script = Segment.normalized(cues, durationMilliseconds: request.durationMilliseconds)
        guard !script.isEmpty else {
            throw .invalidSubtitles("no cue with text falls within the audio")
        }
        return script
    }
}
