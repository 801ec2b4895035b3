public import Foundation

/// The final script of a job, kept beside its result: each line's time, speaker, voice,
/// the words heard in the source and the words spoken in the dub. The worker stores it
/// as JSON; the API serves it as JSON, SRT or WebVTT.
public struct DubbingTranscript: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var startMilliseconds: Int64
        public var endMilliseconds: Int64
        /// `A`, `B`, … or a subtitle cue's `[Name]`; `nil` when speakers were not told apart.
        public var speaker: String?
        /// The voice that spoke it (a provider voice, or an espeak-ng variant); `nil`: the default.
        public var voice: String?
        /// What was said in the source; `nil` for subtitle uploads, which hold only the target text.
        public var sourceText: String?
        public var targetText: String

        public init(
            startMilliseconds: Int64, endMilliseconds: Int64, speaker: String?, voice: String?, sourceText: String?,
            targetText: String
        ) {
            self.startMilliseconds = startMilliseconds
            self.endMilliseconds = endMilliseconds
            self.speaker = speaker
            self.voice = voice
            self.sourceText = sourceText
            self.targetText = targetText
        }

        private enum CodingKeys: String, CodingKey {
            case startMilliseconds = "start_ms", endMilliseconds = "end_ms", speaker, voice, sourceText = "source_text"
            case targetText = "target_text"
        }
    }

    public var sourceLanguage: String?
    public var targetLanguage: String
    /// Whether the source text exists: `false` when the job was dubbed from uploaded subtitles.
    public var hasSourceText: Bool
    public var lines: [Line]

    public init(sourceLanguage: String?, targetLanguage: String, hasSourceText: Bool, lines: [Line]) {
        self.sourceLanguage = sourceLanguage
        self.targetLanguage = targetLanguage
        self.hasSourceText = hasSourceText
        self.lines = lines
    }

    private enum CodingKeys: String, CodingKey {
        case sourceLanguage = "source_language", targetLanguage = "target_language", hasSourceText = "has_source_text", lines
    }

    /// Where an engine leaves the transcript of the result it writes to `outputPath`.
    public static func path(besideOutput outputPath: String) -> String {
        outputPath + ".transcript.json"
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    static func make(
        script: [Segment], transcript: [Segment]?, cast: VoiceCast, request: DubbingRequest
    ) -> DubbingTranscript {
        let sourceText = Dictionary(uniqueKeysWithValues: (transcript ?? []).map { ($0.id, $0.text) })
        return DubbingTranscript(
            sourceLanguage: request.sourceLanguage,
            targetLanguage: request.targetLanguage,
            hasSourceText: transcript != nil,
            lines: script.map { segment in
                Line(
                    startMilliseconds: segment.startMilliseconds, endMilliseconds: segment.endMilliseconds,
                    speaker: segment.speaker, voice: cast.voice(of: segment), sourceText: sourceText[segment.id],
                    targetText: segment.text)
            })
    }
}
