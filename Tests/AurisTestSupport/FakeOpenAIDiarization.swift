import Foundation

/// How the fake tells speakers apart, deterministically from the audio: a voice is a
/// pitch. Each answered segment's pitch is the median zero-crossing frequency of its
/// voiced 100 ms frames (frames quieter than `silenceLevel` are skipped; a segment with
/// none is silence and left out). Pitches within `sameVoiceHertz` are one speaker. So a
/// test clip of 440 Hz and 660 Hz tones holds two speakers.
///
/// Labels: a segment whose pitch matches a known speaker's reference clip gets that
/// speaker's name; other voices get `A`, `B`, … in order of first appearance in this
/// request, as the real model labels voices it does not know. Without references the
/// labels of a later piece therefore need not match the first piece's.
enum FakeOpenAIDiarization {
    static let frameSamples = FakeOpenAIAudio.analysisRate / 10
    static let silenceLevel = 200.0
    static let sameVoiceHertz = 40.0

    /// The pitch in Hz of `samples[range]`, or `nil` when it is silent.
    static func pitch(_ samples: [Int16], _ range: Range<Int>) -> Double? {
        var frequencies: [Double] = []
        var start = max(0, range.lowerBound)
        let end = min(samples.count, range.upperBound)
        while start + frameSamples <= end {
            let frame = samples[start..<(start + frameSamples)]
            let power = frame.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame.count)
            if power.squareRoot() >= silenceLevel {
                var crossings = 0
                var previous = frame.first!
                for sample in frame.dropFirst() {
                    if (previous < 0) != (sample < 0) { crossings += 1 }
                    previous = sample
                }
                frequencies.append(Double(crossings) / 2 / (Double(frameSamples) / Double(FakeOpenAIAudio.analysisRate)))
            }
            start += frameSamples
        }
        guard !frequencies.isEmpty else { return nil }
        return frequencies.sorted()[frequencies.count / 2]
    }

    /// The label of each pitch, `nil` pitches (silence) kept as `nil`.
    static func labels(pitches: [Double?], known: [(name: String, pitch: Double)]) -> [String?] {
        var voices: [(pitch: Double, label: String)] = known.map { ($0.pitch, $0.name) }
        let knownNames = Set(known.map(\.name))
        var next = 0
        return pitches.map { pitch in
            guard let pitch else { return nil }
            if let voice = voices.first(where: { abs($0.pitch - pitch) <= sameVoiceHertz }) { return voice.label }
            var label: String
            repeat {
                label = String(UnicodeScalar(UInt8(65 + next % 26)))
                next += 1
            } while knownNames.contains(label)
            voices.append((pitch, label))
            return label
        }
    }
}
