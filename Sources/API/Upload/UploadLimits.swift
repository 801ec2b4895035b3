/// What one upload may contain.
struct UploadLimits: Sendable {
    /// The audio file (`AURIS_MAX_UPLOAD_BYTES`).
    var maxAudioBytes: Int64
    /// A subtitles file: SRT or WebVTT text is small.
    var maxSubtitleBytes: Int64 = 1 << 20
    /// Each plain form field.
    var maxFieldBytes = 1_024
    /// Parts in one multipart body.
    var maxParts = 12

    /// The whole request body: the files plus room for the multipart framing.
    var maxBodyBytes: Int64 { maxAudioBytes + maxSubtitleBytes + 64 * 1_024 }
}

/// What a finished upload left in its folder.
struct ReceivedUpload: Sendable {
    var audioPath: String
    var audioBytes: Int64
    var subtitlesPath: String?
    /// Form fields (or query parameters of a raw upload), by name.
    var fields: [String: String]
    /// SHA-256 of the audio and the subtitles, for idempotency fingerprints.
    var audioDigest: String
    var subtitlesDigest: String?
}
