/// What one upload may contain.
struct UploadLimits: Sendable {
    /// An audio file (`AURIS_MAX_UPLOAD_BYTES`).
    var maxAudioBytes: Int64
    /// A video file (`AURIS_MAX_VIDEO_BYTES`).
    var maxVideoBytes: Int64
    /// A subtitles file: SRT or WebVTT text is small.
    var maxSubtitleBytes: Int64 = 1 << 20
    /// Each plain form field.
    var maxFieldBytes = 1_024
    /// Parts in one multipart body.
    var maxParts = 12
    /// Header lines of one part (a browser sends two or three).
    var maxPartHeaderCount = 16
    /// Bytes the multipart parser may take in without finishing a header line or giving
    /// body bytes: it keeps an unfinished header line (or a preamble) in memory and copies
    /// it again with each chunk, so this bounds both its memory and its time.
    var maxPartHeaderBytes = 16 * 1_024

    /// The uploaded file while it arrives: whether it is a video is known only once it
    /// is probed, which then holds it to its own limit (`limit(hasVideo:)`).
    var maxFileBytes: Int64 { max(maxAudioBytes, maxVideoBytes) }

    /// The whole request body: the files plus room for the multipart framing.
    var maxBodyBytes: Int64 { maxFileBytes + maxSubtitleBytes + 64 * 1_024 }

    func limit(hasVideo: Bool) -> Int64 { hasVideo ? maxVideoBytes : maxAudioBytes }
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
