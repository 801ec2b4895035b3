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
    /// The longest part header line: the multipart parser keeps an unfinished one in
    /// memory, so this bounds what a header that never ends can make it hold.
    var maxPartHeaderBytes = 16 * 1_024

    /// The largest file either limit lets in.
    var maxFileBytes: Int64 { max(maxAudioBytes, maxVideoBytes) }

    /// The whole request body: the files plus room for the multipart framing.
    var maxBodyBytes: Int64 { maxFileBytes + maxSubtitleBytes + 64 * 1_024 }

    /// The limit of a probed file, by what it is.
    func limit(hasVideo: Bool) -> Int64 { hasVideo ? maxVideoBytes : maxAudioBytes }

    /// The limit of a file while it arrives, before the probe says what it is: a file the
    /// client calls a video (`UploadLimits.declaresVideo`) may take the larger of the two
    /// limits, anything else only the audio limit, so an audio upload is cut off as early
    /// as it always was. The probe then holds the file to its own limit.
    func arrivingLimit(declaredVideo: Bool) -> Int64 { declaredVideo ? maxFileBytes : maxAudioBytes }

    /// Whether the client calls the file a video: a `video/*` type, or (for a multipart
    /// part, whose type a client may leave `application/octet-stream`) a video file name.
    static func declaresVideo(contentType: String?, filename: String?) -> Bool {
        if let contentType, contentType.lowercased().hasPrefix("video/") { return true }
        guard let filename, let dot = filename.lastIndex(of: ".") else { return false }
        return videoExtensions.contains(filename[filename.index(after: dot)...].lowercased())
    }

    static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "qt", "webm", "mkv", "avi", "flv", "ts", "mts", "m2ts", "mpg", "mpeg", "wmv", "asf"]
}

/// What a finished upload left in its folder.
struct ReceivedUpload: Sendable {
    var audioPath: String
    var audioBytes: Int64
    var subtitlesPath: String?
    /// Form fields (or query parameters of a raw upload), by name.
    var fields: [String: String]
    /// Query parameters that a form field of the same name overrode with another value.
    var overriddenQueryFields: [String: String] = [:]
    /// SHA-256 of the audio and the subtitles, for idempotency fingerprints.
    var audioDigest: String
    var subtitlesDigest: String?
}
