import Logging

/// Dubs with OpenAI: whisper-1 transcription, a chat model's translation, tts-1 speech.
struct OpenAIEngine: PipelineEngine {
    /// The voices of OpenAI's speech models (the newest ones need `gpt-4o-mini-tts`).
    static let voices: Set<String> = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar",
    ]

    let configuration: EngineConfiguration
    let pipeline: DubbingPipeline

    var name: String { "openai" }

    init(configuration: EngineConfiguration) {
        let client = OpenAIClient(
            baseURL: configuration.openAIBaseURL,
            apiKey: configuration.openAIAPIKey ?? "",
            logger: Logger(label: "auris.dubbing"),
            requestTimeoutSeconds: configuration.requestTimeoutSeconds,
            transcriptionTimeoutSeconds: configuration.transcriptionTimeoutSeconds,
            rateLimiter: configuration.rateLimited ? OpenAIRateLimiter() : nil
        )
        self.configuration = configuration
        self.pipeline = DubbingPipeline(
            configuration: configuration,
            client: client,
            makeSynthesizer: { folder, jobClient in
                OpenAISpeechSynthesizer(
                    client: jobClient ?? client, folder: folder, model: configuration.speechModel,
                    configuredVoice: configuration.speechVoice, concurrency: configuration.speechConcurrency
                )
            }
        )
    }

    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String? {
        guard SupportedLanguages.codes.contains(targetLanguage) else {
            return "the openai engine cannot speak \(targetLanguage)"
        }
        if let voice, !Self.voices.contains(voice) {
            return "unknown voice \(voice); choose one of \(Self.voices.sorted().joined(separator: ", "))"
        }
        return nil
    }
}
