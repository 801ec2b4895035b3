/// What one dubbing job asks for. Stored with the job, so it is `Codable`; the worker
/// passes the same request to every attempt of the job.
public struct DubbingRequest: Sendable, Codable, Equatable {
    /// The uploaded file: any audio or video ffmpeg can read.
    public var sourceAudioPath: String
    /// Optional SRT or WebVTT subtitles, already in the target language. When present,
    /// transcription and translation are skipped: the cues are what is spoken.
    public var subtitlesPath: String?
    /// ISO 639-1 code of the language to dub into, e.g. `"fr"`.
    public var targetLanguage: String
    /// ISO 639-1 code of the spoken language, when the uploader knows it (helps transcription).
    public var sourceLanguage: String?
    /// A provider voice name (`alloy`, `nova`, …); `nil` uses the configured default.
    /// The offline engine has one voice per language and ignores it.
    public var voice: String?
    /// Mix the original audio underneath the dub, ducked while the dub speaks.
    public var keepBackground: Bool
    /// The source's duration as measured at upload; the dubbed track has exactly this length.
    public var durationMilliseconds: Int64

    public init(
        sourceAudioPath: String,
        subtitlesPath: String? = nil,
        targetLanguage: String,
        sourceLanguage: String? = nil,
        voice: String? = nil,
        keepBackground: Bool = false,
        durationMilliseconds: Int64
    ) {
        self.sourceAudioPath = sourceAudioPath
        self.subtitlesPath = subtitlesPath
        self.targetLanguage = targetLanguage
        self.sourceLanguage = sourceLanguage
        self.voice = voice
        self.keepBackground = keepBackground
        self.durationMilliseconds = durationMilliseconds
    }
}
