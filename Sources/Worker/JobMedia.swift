import Dubbing
import Foundation
import MediaStore

/// One job's media on this host: its upload fetched from the store into the job's folder,
/// and its result put back. The job's folder holds the engine's stages beside them, and
/// goes when the job ends.
///
/// ```
/// work/<job id>/source        the upload, fetched once per host (a resumed attempt finds it)
/// work/<job id>/subtitles     the uploaded subtitles, when the request has them
/// work/<job id>/stages/       the engine's steps
/// work/<job id>/result.<ext>  the result (`.mp3`, or the video's container), until it
///                             is put in the store
/// work/<job id>/result.<ext>.transcript.json   the engine's transcript, put beside it
/// ```
struct JobMedia: Sendable {
    let store: any MediaStore
    let jobFolder: String
    /// The result's type, which the job's request names.
    let result: ResultContainer

    var stagesFolder: String { jobFolder + "/stages" }
    var resultPath: String { jobFolder + "/result." + result.fileExtension }

    func fetchSource(uploadID: String, hasSubtitles: Bool) async throws(DubbingError) -> DubbingSource {
        let audioPath = jobFolder + "/source"
        let subtitlesPath = jobFolder + "/subtitles"
        do {
            try FileManager.default.createDirectory(atPath: jobFolder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: audioPath) {
                try await store.get(.uploadedAudio(uploadID: uploadID), toFileAtPath: audioPath)
            }
            if hasSubtitles, !FileManager.default.fileExists(atPath: subtitlesPath) {
                try await store.get(.uploadedSubtitles(uploadID: uploadID), toFileAtPath: subtitlesPath)
            }
        } catch let error as MediaStoreError where error.code == "not_found" {
            throw .invalidAudio("the job's upload is missing from the media store")
        } catch {
            if Task.isCancelled { throw .canceled }
            throw .storageFailed("fetching the upload failed: \(error)")
        }
        return DubbingSource(audioPath: audioPath, subtitlesPath: hasSubtitles ? subtitlesPath : nil)
    }

    /// Puts the result under the job's key, checked against its SHA-256 by the store, and
    /// the transcript the engine left beside it (an engine that writes none has none).
    func putResult(jobID: String) async throws(DubbingError) {
        let transcriptPath = DubbingTranscript.path(besideOutput: resultPath)
        do {
            if FileManager.default.fileExists(atPath: transcriptPath) {
                try await store.put(
                    fileAtPath: transcriptPath, as: .transcript(jobID: jobID),
                    sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: transcriptPath))
            }
            try await store.put(fileAtPath: resultPath, as: .result(jobID: jobID, fileExtension: result.fileExtension), sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: resultPath))
        } catch {
            if Task.isCancelled { throw .canceled }
            throw .storageFailed("storing the result failed: \(error)")
        }
    }
}
