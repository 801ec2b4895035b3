/// Which voice speaks each speaker's lines. With one voice (`speakers=one`) every line
/// has the request's voice. With `speakers=auto`, the customer's choices (`voices=A:onyx`)
/// come first; the other speakers, in order of first appearance, get the request's voice
/// (or the synthesizer's default), then the synthesizer's other voices, none used twice
/// while unused ones remain.
struct VoiceCast: Sendable, Equatable {
    /// Voice by speaker label.
    let voices: [String: String]
    /// The voice of a line with no speaker, or of every line with one voice.
    let fallback: String?

    init(script: [Segment], request: DubbingRequest, defaultVoice: String?, speakerVoices: [String]) {
        self.fallback = request.voice ?? defaultVoice
        guard request.speakers == .auto else {
            self.voices = [:]
            return
        }
        var speakers: [String] = []
        for segment in script.sorted(by: { $0.startMilliseconds < $1.startMilliseconds }) {
            if let speaker = segment.speaker, !speakers.contains(speaker) { speakers.append(speaker) }
        }
        var voices = request.voices.filter { speakers.contains($0.key) }
        var used = Set(voices.values)
        let candidates = ([self.fallback].compactMap { $0 } + speakerVoices)
        for (index, speaker) in speakers.enumerated() where voices[speaker] == nil && !candidates.isEmpty {
            let voice = candidates.first { !used.contains($0) } ?? candidates[index % candidates.count]
            voices[speaker] = voice
            used.insert(voice)
        }
        self.voices = voices
    }

    func voice(of segment: Segment) -> String? {
        segment.speaker.flatMap { self.voices[$0] } ?? self.fallback
    }
}
