/// The steps of the pipeline, in the order they run. Stored as the job's `stage`.
public enum DubbingStage: String, Sendable, Codable, CaseIterable {
    /// ffmpeg turns the upload into mono 16 kHz pieces small enough for speech-to-text.
    case prepare
    /// Speech-to-text: timed segments in the source language.
    case transcribe
    /// The segments' text in the target language, same ids.
    case translate
    /// One speech clip per segment.
    case synthesize
    /// Clips fitted to their slots and mixed into one MP3 the length of the source.
    case assemble

    /// Share of a whole job's progress this stage accounts for; the shares add up to 1.
    var progressShare: Double {
        switch self {
        case .prepare: 0.05
        case .transcribe: 0.20
        case .translate: 0.10
        case .synthesize: 0.45
        case .assemble: 0.20
        }
    }

    /// Progress of the whole job when this stage is `fraction` done.
    func overallProgress(_ fraction: Double) -> Double {
        let before = Self.allCases.prefix(while: { $0 != self }).reduce(0) { $0 + $1.progressShare }
        return min(1, before + self.progressShare * min(1, max(0, fraction)))
    }
}
