/// Which engine dubs, with which provider settings and limits; read from the
/// environment by the `auris` command, built directly by tests.
///
/// ```swift
/// let configuration = try EngineConfiguration(environment: ProcessInfo.processInfo.environment)
/// let engine = try configuration.makeEngine()
/// ```
public struct EngineConfiguration: Sendable {
    /// The two engines: OpenAI's API, or espeak-ng on this machine (subtitles required).
    public enum EngineKind: String, Sendable, CaseIterable {
        case openai
        case offline
    }

    public var engine: EngineKind
    /// Required by the `openai` engine. Never logged.
    public var openAIAPIKey: String?
    /// `OPENAI_BASE_URL`: the API root including `/v1`.
    public var openAIBaseURL: String
    /// `AURIS_TRANSCRIBE_MODEL`; must answer `verbose_json` with segments, which only `whisper-1` does.
    public var transcribeModel: String
    /// `AURIS_TRANSLATE_MODEL`: a chat model with structured outputs.
    public var translateModel: String
    /// `AURIS_DIARIZE_MODEL`: transcription with speaker labels (`diarized_json`), for `speakers=auto`.
    public var diarizeModel: String = "gpt-4o-transcribe-diarize"
    /// `AURIS_TTS_MODEL`.
    public var speechModel: String
    /// `AURIS_TTS_VOICE`: the voice when a request names none.
    public var speechVoice: String
    /// `AURIS_OPENAI_TIMEOUT_SECONDS`: limit of one chat or speech call.
    public var requestTimeoutSeconds: Double
    /// Limit of one transcription call (uploads up to 25 MB).
    public var transcriptionTimeoutSeconds: Double
    /// `AURIS_SPEECH_CONCURRENCY`: speech requests in flight per job at most (1…64); the
    /// provider's rate limit decides how many actually are (`rateLimited`).
    public var speechConcurrency: Int
    /// `AURIS_TRANSCRIBE_CONCURRENCY`: pieces transcribed at once per job (1…32); a
    /// diarized job's pieces go one after another (each needs the speakers found before).
    public var transcriptionConcurrency: Int = 8
    /// `AURIS_TRANSCRIBE_PIECE_SECONDS`: the longest piece sent for transcription (10…3000),
    /// so a long file is transcribed in pieces at once; a diarized job's pieces are
    /// limited by `maxPieceBytes` only.
    public var transcriptionPieceSeconds: Double = 120
    /// `AURIS_OPENAI_RATE_LIMITS` (`1`, `0` to turn off): calls follow the provider's
    /// `x-ratelimit-*` headers and wait out a 429's `Retry-After` (`OpenAIRateLimiter`).
    public var rateLimited = true
    /// Limit of one ffmpeg or espeak-ng run, and of one in-process decode or encode.
    public var ffmpegTimeoutSeconds: Double
    /// The most a clip is sped up to fit its slot; what still does not fit is cut with a fade.
    public var maxTempo: Double
    /// Largest prepared piece sent for transcription (the provider takes 25 MB).
    public var maxPieceBytes: Int
    /// Segments per translation call.
    public var translationBatchSegments: Int
    /// Characters of text per translation call, so a batch of long lines stays well inside the model's output limit.
    public var translationBatchCharacters: Int

    public init(
        engine: EngineKind,
        openAIAPIKey: String? = nil,
        openAIBaseURL: String = "https://api.openai.com/v1",
        transcribeModel: String = "whisper-1",
        translateModel: String = "gpt-4o-mini",
        speechModel: String = "tts-1",
        speechVoice: String = "alloy",
        requestTimeoutSeconds: Double = 120,
        transcriptionTimeoutSeconds: Double = 600,
        speechConcurrency: Int = 16,
        ffmpegTimeoutSeconds: Double = 600,
        maxTempo: Double = 2.0,
        maxPieceBytes: Int = 24 * 1024 * 1024,
        translationBatchSegments: Int = 50,
        translationBatchCharacters: Int = 8_000
    ) {
        self.engine = engine
        self.openAIAPIKey = openAIAPIKey
        self.openAIBaseURL = openAIBaseURL
        self.transcribeModel = transcribeModel
        self.translateModel = translateModel
        self.speechModel = speechModel
        self.speechVoice = speechVoice
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.transcriptionTimeoutSeconds = transcriptionTimeoutSeconds
        self.speechConcurrency = speechConcurrency
        self.ffmpegTimeoutSeconds = ffmpegTimeoutSeconds
        self.maxTempo = maxTempo
        self.maxPieceBytes = maxPieceBytes
        self.translationBatchSegments = translationBatchSegments
        self.translationBatchCharacters = translationBatchCharacters
    }

    /// Reads `AURIS_ENGINE` (`openai` when `OPENAI_API_KEY` is set, else `offline`),
    /// `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `AURIS_TRANSCRIBE_MODEL`, `AURIS_DIARIZE_MODEL`, `AURIS_TRANSLATE_MODEL`,
    /// `AURIS_TTS_MODEL`, `AURIS_TTS_VOICE`, `AURIS_OPENAI_TIMEOUT_SECONDS`, `AURIS_SPEECH_CONCURRENCY`,
    /// `AURIS_TRANSCRIBE_CONCURRENCY`, `AURIS_TRANSCRIBE_PIECE_SECONDS`, `AURIS_OPENAI_RATE_LIMITS`.
    /// - Throws: `invalid_configuration` for an unknown engine, `openai` without a key,
    ///   an unknown voice or a number out of range.
    public init(environment: [String: String]) throws(DubbingError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingWhitespace(), !text.isEmpty else { return nil }
            return text
        }
        let apiKey = value("OPENAI_API_KEY")
        let engine: EngineKind
        if let name = value("AURIS_ENGINE") {
            guard let kind = EngineKind(rawValue: name.lowercased()) else {
                throw .invalidConfiguration("AURIS_ENGINE must be openai or offline, not \(name)")
            }
            engine = kind
        } else {
            engine = apiKey == nil ? .offline : .openai
        }
        self.init(engine: engine, openAIAPIKey: apiKey)
        if let baseURL = value("OPENAI_BASE_URL") { self.openAIBaseURL = baseURL }
        if let model = value("AURIS_TRANSCRIBE_MODEL") { self.transcribeModel = model }
        if let model = value("AURIS_TRANSLATE_MODEL") { self.translateModel = model }
        if let model = value("AURIS_DIARIZE_MODEL") { self.diarizeModel = model }
        if let model = value("AURIS_TTS_MODEL") { self.speechModel = model }
        if let voice = value("AURIS_TTS_VOICE") { self.speechVoice = voice }
        func number(_ name: String, in range: ClosedRange<Double>, whole: Bool = true) throws(DubbingError) -> Double? {
            guard let text = value(name) else { return nil }
            guard let number = Double(text), range.contains(number), !whole || number.rounded() == number else {
                throw .invalidConfiguration("\(name) must be \(Int(range.lowerBound))…\(Int(range.upperBound)), not \(text)")
            }
            return number
        }
        if let seconds = try number("AURIS_OPENAI_TIMEOUT_SECONDS", in: 1...3_600, whole: false) { self.requestTimeoutSeconds = seconds }
        if let count = try number("AURIS_SPEECH_CONCURRENCY", in: 1...64) { self.speechConcurrency = Int(count) }
        if let count = try number("AURIS_TRANSCRIBE_CONCURRENCY", in: 1...32) { self.transcriptionConcurrency = Int(count) }
        if let seconds = try number("AURIS_TRANSCRIBE_PIECE_SECONDS", in: 10...3_000, whole: false) { self.transcriptionPieceSeconds = seconds }
        if let flag = try number("AURIS_OPENAI_RATE_LIMITS", in: 0...1) { self.rateLimited = flag == 1 }
        try self.validate()
    }

    /// Checks the settings that would otherwise fail every job.
    public func validate() throws(DubbingError) {
        if self.engine == .openai {
            guard self.openAIAPIKey != nil else {
                throw .invalidConfiguration("the openai engine needs OPENAI_API_KEY")
            }
            guard self.openAIBaseURL.hasPrefix("http://") || self.openAIBaseURL.hasPrefix("https://") else {
                throw .invalidConfiguration("OPENAI_BASE_URL must be an http(s) URL, not \(self.openAIBaseURL)")
            }
            guard OpenAIEngine.voices.contains(self.speechVoice) else {
                throw .invalidConfiguration("AURIS_TTS_VOICE \(self.speechVoice) is not an OpenAI voice")
            }
        }
        guard self.speechConcurrency >= 1, self.transcriptionConcurrency >= 1, self.transcriptionPieceSeconds >= 10,
              self.maxTempo >= 1, self.maxPieceBytes >= 16_000,
              self.translationBatchSegments >= 1, self.translationBatchCharacters >= 100,
              self.requestTimeoutSeconds > 0, self.transcriptionTimeoutSeconds > 0, self.ffmpegTimeoutSeconds > 0
        else {
            throw .invalidConfiguration("a limit of the engine configuration is out of range")
        }
    }

    /// The largest piece `PrepareStage` may make: `maxPieceBytes`, or fewer bytes so that no
    /// piece is longer than `transcriptionPieceSeconds` (a 64 kbit/s MP3 grows with its
    /// length; `PrepareStage.pieceSeconds` keeps a tenth spare and adds half a second).
    /// Diarized pieces stay as long as the upload limit allows: they go one at a time.
    func preparedPieceBytes(diarized: Bool) -> Int {
        guard !diarized else { return self.maxPieceBytes }
        let bytesPerSecond = Double(PrepareStage.bitsPerSecond) / 8
        let bytes = Int(((self.transcriptionPieceSeconds + 0.5) / 0.9 * bytesPerSecond).rounded(.up))
        return min(self.maxPieceBytes, max(16_000, bytes))
    }

    /// The engine these settings describe; one serves all jobs of a process.
    public func makeEngine() throws(DubbingError) -> any DubbingEngine {
        try self.validate()
        switch self.engine {
        case .openai: return OpenAIEngine(configuration: self)
        case .offline: return OfflineEngine(configuration: self)
        }
    }
}
