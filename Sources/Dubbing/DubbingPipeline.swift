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
        source: DubbingSource,
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
        var transcript: [Segment]?
        if request.hasSubtitles {
            guard let subtitlesPath = source.subtitlesPath else {
                throw .invalidSubtitles("the request has subtitles but none were found")
            }
            // Subtitles are already in the target language: they are the script.
            script = try self.subtitleScript(subtitlesPath, request: request)
            await progress(.translate, 1)
        } else {
            guard let client else {
                throw .unsupported("the offline engine needs subtitles")
            }
            await progress(.prepare, 0)
            let pieces = try await PrepareStage(
                folder: folder, maxPieceBytes: self.configuration.preparedPieceBytes(diarized: request.speakers == .auto),
                ffmpegTimeoutSeconds: self.configuration.ffmpegTimeoutSeconds
            ).run(sourcePath: source.audioPath, durationMilliseconds: request.durationMilliseconds)
            await progress(.prepare, 1)
            try DubbingError.checkCancellation()
            let heard = try await TranscribeStage(
                folder: folder, client: client, model: self.configuration.transcribeModel,
                diarizeModel: self.configuration.diarizeModel, ffmpegTimeoutSeconds: self.configuration.ffmpegTimeoutSeconds,
                concurrency: self.configuration.transcriptionConcurrency
            ).run(pieces: pieces, request: request, progress: progress)
            transcript = heard
            try DubbingError.checkCancellation()
            script = try await TranslateStage(
                folder: folder, client: client, model: self.configuration.translateModel,
                batchSegments: self.configuration.translationBatchSegments,
                batchCharacters: self.configuration.translationBatchCharacters
            ).run(transcript: heard, request: request, progress: progress)
        }
        logger.debug("dubbing script ready", metadata: ["segments": "\(script.count)"])
        try SpeechBudget.check(script, durationMilliseconds: request.durationMilliseconds)

        try DubbingError.checkCancellation()
        let synthesizer = self.makeSynthesizer(folder, client)
        let cast = VoiceCast(
            script: script, request: request, defaultVoice: synthesizer.defaultVoice, speakerVoices: synthesizer.speakerVoices)
        try self.writeTranscript(
            DubbingTranscript.make(script: script, transcript: transcript, cast: cast, request: request), beside: outputPath)
        let clips = try await SynthesizeStage(folder: folder, synthesizer: synthesizer)
            .run(script: script, cast: cast, request: request, progress: progress)
        try DubbingError.checkCancellation()
        try await AssembleStage(
            folder: folder, maxTempo: self.configuration.maxTempo,
            ffmpegTimeoutSeconds: self.configuration.ffmpegTimeoutSeconds
        ).run(
            script: script, clips: clips, request: request, sourcePath: source.audioPath, outputPath: outputPath,
            progress: progress)
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

    private func writeTranscript(_ transcript: DubbingTranscript, beside outputPath: String) throws(DubbingError) {
        let data: Data
        do {
            data = try transcript.encoded()
        } catch {
            throw .storageFailed("cannot encode the transcript: \(error)")
        }
        try WorkFolder(path: (outputPath as NSString).deletingLastPathComponent)
            .writeAtomically(data, to: DubbingTranscript.path(besideOutput: outputPath))
    }

    private func subtitleScript(_ path: String, request: DubbingRequest) throws(DubbingError) -> [Segment] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidSubtitles("the subtitles file cannot be read")
        }
        let cues = try SubtitleParser().parse([UInt8](data))
        // `[Name]` before a cue's words names its speaker; only `speakers=auto` gives each a voice.
        let script = Segment.normalized(cues.map { $0.withSpeakerFromPrefix() }, durationMilliseconds: request.durationMilliseconds)
        guard !script.isEmpty else {
            throw .invalidSubtitles("no cue with text falls within the audio")
        }
        return script
    }
}
