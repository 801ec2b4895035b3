/// What one dubbing job asks for. Stored with the job, so it is `Codable`; the worker
/// passes the same request to every attempt of the job. It names no file: the worker
/// finds the job's upload by the job's upload id and hands the engine a `DubbingSource`.
public struct DubbingRequest: Sendable, Codable, Equatable {
    /// Whether SRT or WebVTT subtitles came with the upload, already in the target
    /// language. When they did, transcription and translation are skipped: the cues are
    /// what is spoken.
    public var hasSubtitles: Bool
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
    /// `auto`: find who speaks each line and give each speaker a voice of their own.
    public var speakers: DubbingSpeakers
    /// Voices chosen by the customer per speaker label (`A` → `onyx`); other speakers get
    /// distinct voices picked by the engine.
    public var voices: [String: String]
    /// How a video upload comes back; nil for audio, whose result is an MP3.
    public var video: VideoResult?

    /// What the result is: the video's container, or MP3.
    public var resultContainer: ResultContainer { video?.container ?? .mp3 }

    public init(
        hasSubtitles: Bool = false,
        targetLanguage: String,
        sourceLanguage: String? = nil,
        voice: String? = nil,
        keepBackground: Bool = false,
        durationMilliseconds: Int64,
        speakers: DubbingSpeakers = .one,
        voices: [String: String] = [:],
        video: VideoResult? = nil
    ) {
        self.hasSubtitles = hasSubtitles
        self.targetLanguage = targetLanguage
        self.sourceLanguage = sourceLanguage
        self.voice = voice
        self.keepBackground = keepBackground
        self.durationMilliseconds = durationMilliseconds
        self.speakers = speakers
        self.voices = voices
        self.video = video
    }

    private enum CodingKeys: String, CodingKey {
        case hasSubtitles, targetLanguage, sourceLanguage, voice, keepBackground, durationMilliseconds, speakers, voices, video
    }

    /// Requests stored before uploads had ids named their files instead.
    private enum PathKeys: String, CodingKey {
        case subtitlesPath
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let hasSubtitles = try container.decodeIfPresent(Bool.self, forKey: .hasSubtitles) {
            self.hasSubtitles = hasSubtitles
        } else {
            let paths = try decoder.container(keyedBy: PathKeys.self)
            self.hasSubtitles = try paths.decodeIfPresent(String.self, forKey: .subtitlesPath) != nil
        }
        targetLanguage = try container.decode(String.self, forKey: .targetLanguage)
        sourceLanguage = try container.decodeIfPresent(String.self, forKey: .sourceLanguage)
        voice = try container.decodeIfPresent(String.self, forKey: .voice)
        keepBackground = try container.decode(Bool.self, forKey: .keepBackground)
        durationMilliseconds = try container.decode(Int64.self, forKey: .durationMilliseconds)
        // Requests stored before speakers existed were dubbed with one voice.
        speakers = try container.decodeIfPresent(DubbingSpeakers.self, forKey: .speakers) ?? .one
        voices = try container.decodeIfPresent([String: String].self, forKey: .voices) ?? [:]
        video = try container.decodeIfPresent(VideoResult.self, forKey: .video)
    }
}

/// Who speaks the dub: one voice for every line, or a voice per speaker found in the source.
public enum DubbingSpeakers: String, Sendable, Codable, Equatable {
    case one
    case auto
}

/// The uploaded files a request is dubbed from, where the worker found them.
public struct DubbingSource: Sendable, Equatable {
    /// The uploaded file: any audio or video ffmpeg can read.
    public var audioPath: String
    /// The uploaded subtitles, when the request has them.
    public var subtitlesPath: String?

    public init(audioPath: String, subtitlesPath: String? = nil) {
        self.audioPath = audioPath
        self.subtitlesPath = subtitlesPath
    }
}
