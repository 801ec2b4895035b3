/// Where a job's media lives in the store: the one layout the API (which puts uploads
/// and serves results) and the workers (which get uploads and put results) share.
///
/// ```
/// uploads/<upload id>/source      the uploaded audio, until no unfinished job needs it
/// uploads/<upload id>/subtitles   optional subtitles
/// results/<job id>.<extension>    the result, kept for the result TTL: `.mp3` for
///                                 audio, the video's container for a video
/// results/<job id>.transcript.json the final script (times, speakers, source and dubbed
///                                 text), kept and removed with the result
/// ```
extension MediaKey {
    public static func uploadedAudio(uploadID: String) throws -> MediaKey {
        try MediaKey("uploads/\(uploadID)/source")
    }

    public static func uploadedSubtitles(uploadID: String) throws -> MediaKey {
        try MediaKey("uploads/\(uploadID)/subtitles")
    }

    /// - Parameter fileExtension: the result's type, which its job's request names
    ///   (`mp3`, `mp4`…): a video result and an MP3 one are told apart by key.
    public static func result(jobID: String, fileExtension: String) throws -> MediaKey {
        try MediaKey("results/\(jobID).\(fileExtension)")
    }

    public static func transcript(jobID: String) throws -> MediaKey {
        try MediaKey("results/\(jobID).transcript.json")
    }
}

extension MediaStore {
    /// Deletes a job's result and its transcript together: they are kept and expire as one.
    public func deleteResult(jobID: String, fileExtension: String) async throws {
        try await delete(.result(jobID: jobID, fileExtension: fileExtension))
        try await delete(.transcript(jobID: jobID))
    }

    /// Deletes every object an upload may have put; deleting one it did not put succeeds.
    public func deleteUpload(uploadID: String) async throws {
        try await delete(.uploadedAudio(uploadID: uploadID))
        try await delete(.uploadedSubtitles(uploadID: uploadID))
    }
}
