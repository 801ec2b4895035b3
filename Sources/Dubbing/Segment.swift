/// One spoken line: where it sits in the source and what it says. Transcripts,
/// translations and subtitle cues are all lists of segments.
struct Segment: Codable, Sendable, Equatable {
    /// Position in the normalized list, 0-based; translation and clips refer to it.
    var id: Int
    var startMilliseconds: Int64
    var endMilliseconds: Int64
    var text: String
    /// Who says it (`A`, `B`, or a subtitle's `[Name]`); `nil` when speakers are not told apart.
    var speaker: String? = nil
}

extension Segment {
    /// Puts segments in the shape the later stages rely on: non-empty text, inside
    /// `0..<durationMilliseconds`, strictly increasing starts (lines starting together are
    /// joined), no overlap (an end is cut at the next start), ids `0..<count`.
    static func normalized(_ segments: [Segment], durationMilliseconds: Int64) -> [Segment] {
        let candidates = segments.enumerated()
            .map { index, segment in
                var segment = segment
                segment.text = segment.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                segment.startMilliseconds = max(0, segment.startMilliseconds)
                segment.endMilliseconds = min(durationMilliseconds, max(segment.startMilliseconds, segment.endMilliseconds))
                return (index, segment)
            }
            .filter { !$0.1.text.isEmpty && $0.1.startMilliseconds < durationMilliseconds }
            // Stable order for equal starts keeps the speaker's order of joined lines.
            .sorted { ($0.1.startMilliseconds, $0.0) < ($1.1.startMilliseconds, $1.0) }
            .map(\.1)

        var result: [Segment] = []
        for segment in candidates {
            if var last = result.last, last.startMilliseconds == segment.startMilliseconds {
                last.text += " " + segment.text
                last.endMilliseconds = max(last.endMilliseconds, segment.endMilliseconds)
                result[result.count - 1] = last
            } else {
                result.append(segment)
            }
        }
        for index in result.indices {
            result[index].id = index
            if index + 1 < result.count {
                result[index].endMilliseconds = min(result[index].endMilliseconds, result[index + 1].startMilliseconds)
            }
        }
        return result
    }
}

extension Segment {
    /// A subtitle cue written `[Name] words`: the name becomes the speaker and is not
    /// spoken. Names are short (at most 32 characters) so that a bracketed sound cue
    /// in a long line is left alone.
    func withSpeakerFromPrefix() -> Segment {
        guard self.text.hasPrefix("["), let close = self.text.firstIndex(of: "]") else { return self }
        let name = self.text[self.text.index(after: self.text.startIndex)..<close].trimmingWhitespace()
        let rest = self.text[self.text.index(after: close)...].trimmingWhitespace()
        guard !name.isEmpty, name.count <= 32, !rest.isEmpty else { return self }
        var segment = self
        segment.speaker = name
        segment.text = rest
        return segment
    }
}
