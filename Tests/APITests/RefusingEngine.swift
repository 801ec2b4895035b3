import Dubbing
import Logging

/// An engine that accepts any request at upload, as the OpenAI engine does without
/// subtitles, and refuses to run: the API tests never reach a worker, and nothing
/// here pretends a dub succeeded.
struct UploadOnlyEngine: DubbingEngine {
    var name: String { "api-tests" }

    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String? { nil }

    func dub(
        _ request: DubbingRequest, source: DubbingSource, workFolder: String, outputPath: String, logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        throw .unsupported("the API tests' engine accepts uploads only; it never dubs")
    }
}
