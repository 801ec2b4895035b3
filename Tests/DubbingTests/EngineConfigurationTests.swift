import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct EngineConfigurationTests {
    @Test func theEnvironmentChoosesTheEngine() throws {
        #expect(try EngineConfiguration(environment: [:]).engine == .offline)
        let openai = try EngineConfiguration(environment: ["OPENAI_API_KEY": "sk-x", "AURIS_TTS_VOICE": "nova"])
        #expect(openai.engine == .openai && openai.speechVoice == "nova" && openai.openAIBaseURL == "https://api.openai.com/v1")
        #expect(try EngineConfiguration(environment: ["OPENAI_API_KEY": "sk-x", "AURIS_ENGINE": "offline"]).engine == .offline)
        #expect(throws: DubbingError.self) { try EngineConfiguration(environment: ["AURIS_ENGINE": "openai"]) }
        #expect(throws: DubbingError.self) { try EngineConfiguration(environment: ["AURIS_ENGINE": "whisperer"]) }
        #expect(throws: DubbingError.self) {
            try EngineConfiguration(environment: ["OPENAI_API_KEY": "sk-x", "AURIS_TTS_VOICE": "darth"])
        }
    }

    @Test func theOpenAIEngineRefusesUnknownVoicesAndLanguages() throws {
        let engine = try EngineConfiguration(engine: .openai, openAIAPIKey: "sk-x").makeEngine()
        #expect(engine.unsupportedReason(targetLanguage: "fr", hasSubtitles: false, voice: "nova") == nil)
        #expect(engine.unsupportedReason(targetLanguage: "fr", hasSubtitles: false, voice: "darth") != nil)
        #expect(engine.unsupportedReason(targetLanguage: "xx", hasSubtitles: false, voice: nil) != nil)
        #expect(SupportedLanguages.codes.count == 57)
        #expect(SupportedLanguages.name(of: "fr") == "French")
    }
}
