public import Logging

/// Something that turns a `DubbingRequest` into a dubbed MP3: the OpenAI engine, or the
/// offline one (espeak-ng, subtitles required). Get one from `EngineConfiguration.makeEngine`.
///
/// ```swift
/// let engine = try EngineConfiguration(environment: ProcessInfo.processInfo.environment)
///     .makeEngine()
/// if let reason = engine.unsupportedReason(targetLanguage: "fr", hasSubtitles: false, voice: nil) {
///     // refuse the upload: 422 engine_unsupported, reason
/// }
/// try await engine.dub(request, source: source, workFolder: jobFolder, outputPath: resultPath, logger: jobLogger) { stage, progress in
///     await reportProgress(stage, progress)
/// }
/// ```
public protocol DubbingEngine: Sendable {
    /// `openai` or `offline`, for logs and job records.
    var name: String { get }

    /// Why this engine cannot do such a request at all, or `nil` when it can.
    ///
    /// The API asks at upload and refuses with 422 `engine_unsupported` and this reason,
    /// so that no credits are held for a job that would surely fail.
    /// - Parameters:
    ///   - targetLanguage: ISO 639-1 code, already checked against `SupportedLanguages.codes`.
    ///   - hasSubtitles: whether subtitles come with the upload.
    ///   - voice: the requested voice, `nil` for the default.
    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String?

    /// Runs the pipeline, or resumes it, and writes the dubbed MP3 to `outputPath`.
    ///
    /// Every finished step is kept in `workFolder`, so another attempt with the same
    /// folder resumes after the last finished step and never pays the provider twice
    /// for a step that succeeded. The output appears at `outputPath` complete or not at all.
    /// Cancelling the calling task stops the run at the next stage boundary or segment,
    /// and stops running ffmpeg children. The caller keeps `workFolder` while another
    /// attempt may follow, and deletes it once the job is settled.
    /// - Parameters:
    ///   - request: the same request for every attempt of a job.
    ///   - source: the uploaded files; `subtitlesPath` is set when `request.hasSubtitles`.
    ///   - workFolder: a folder owned by this job (created when missing).
    ///   - outputPath: where the MP3 goes; its folder must exist.
    ///   - logger: the job's logger; every provider call logs through it with its `x-request-id`.
    ///   - progress: the running stage and the whole job's progress, 0…1, never decreasing.
    /// - Throws: `DubbingError`; `isTransient` says whether another attempt may succeed,
    ///   code `canceled` when the task was cancelled.
    func dub(
        _ request: DubbingRequest,
        source: DubbingSource,
        workFolder: String,
        outputPath: String,
        logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError)
}
