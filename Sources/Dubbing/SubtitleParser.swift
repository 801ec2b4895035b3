/// Reads SRT and WebVTT subtitles into segments.
///
/// Lenient where real files are sloppy (BOM, CRLF, `.` or `,` before milliseconds,
/// missing SRT numbers, markup, text blocks split by a stray blank line), strict where
/// input is not subtitles at all, and bounded: every failure is a permanent
/// `invalid_subtitles` naming the line.
struct SubtitleParser: Sendable {
    var maxBytes = 4 << 20
    var maxCues = 20_000
    var maxCueCharacters = 2_000
    /// No cue starts a day or more into the audio; such a time is a broken file.
    var maxTimestampMilliseconds: Int64 = 24 * 3_600_000

    func parse(_ bytes: [UInt8]) throws(DubbingError) -> [Segment] {
        guard bytes.count <= self.maxBytes else {
            throw .invalidSubtitles("the subtitles are larger than \(self.maxBytes) bytes")
        }
        var content = bytes[...]
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
        guard let text = String(validating: content, as: UTF8.self) else {
            throw .invalidSubtitles("the subtitles are not UTF-8 text")
        }
        let lines = text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        let isWebVTT = lines.first.map { $0.hasPrefix("WEBVTT") } ?? false
        let segments = try self.parseBlocks(lines, isWebVTT: isWebVTT)
        guard !segments.isEmpty else { throw .invalidSubtitles("the subtitles contain no cue") }
        return segments
    }

    private func parseBlocks(_ lines: [Substring], isWebVTT: Bool) throws(DubbingError) -> [Segment] {
        var segments: [Segment] = []
        var lineIndex = 0
        // WebVTT's first block is the header (`WEBVTT` and optional metadata lines).
        if isWebVTT { while lineIndex < lines.count, !Self.isBlank(lines[lineIndex]) { lineIndex += 1 } }

        while lineIndex < lines.count {
            while lineIndex < lines.count, Self.isBlank(lines[lineIndex]) { lineIndex += 1 }
            guard lineIndex < lines.count else { break }
            let blockStart = lineIndex
            while lineIndex < lines.count, !Self.isBlank(lines[lineIndex]) { lineIndex += 1 }
            let block = lines[blockStart..<lineIndex]
            let firstLineNumber = blockStart + 1

            if isWebVTT, let keyword = block.first?.split(separator: " ").first,
               ["NOTE", "STYLE", "REGION"].contains(keyword) {
                continue
            }
            guard let timingOffset = block.firstIndex(where: { $0.contains("-->") }) else {
                // A cue's text broken by a blank line: part of the cue before it.
                if !isWebVTT, var last = segments.popLast() {
                    last.text += " " + block.joined(separator: " ")
                    try self.checkLength(last.text, line: firstLineNumber)
                    segments.append(last)
                    continue
                }
                throw .invalidSubtitles("line \(firstLineNumber): expected a cue timing (`start --> end`)")
            }
            // Only a cue number (SRT) or a cue identifier (WebVTT) may come before the timing.
            guard timingOffset - block.startIndex <= 1 else {
                throw .invalidSubtitles("line \(firstLineNumber): unexpected text before the cue timing")
            }
            let (start, end) = try self.parseTiming(block[timingOffset], line: timingOffset + 1)
            let text = block[(timingOffset + 1)...].map { Self.plainText($0) }.joined(separator: " ")
            try self.checkLength(text, line: firstLineNumber)
            guard segments.count < self.maxCues else {
                throw .invalidSubtitles("more than \(self.maxCues) cues")
            }
            segments.append(Segment(id: segments.count, startMilliseconds: start, endMilliseconds: end, text: text))
        }
        return segments
    }

    private func checkLength(_ text: String, line: Int) throws(DubbingError) {
        guard text.count <= self.maxCueCharacters else {
            throw .invalidSubtitles("line \(line): a cue is longer than \(self.maxCueCharacters) characters")
        }
    }

    /// `00:00:01,000 --> 00:00:02,500` (SRT) or `00:01.000 --> 00:02.500 align:start` (WebVTT).
    private func parseTiming(_ line: Substring, line lineNumber: Int) throws(DubbingError) -> (Int64, Int64) {
        // Spaces around the arrow are required by WebVTT but missing in some SRT files; tabs happen too.
        let parts = line.replacing("-->", with: " --> ").split(whereSeparator: \.isWhitespace)
        guard parts.count >= 3, parts[1] == "-->",
              let start = Self.parseTimestamp(parts[0]),
              let end = Self.parseTimestamp(parts[2])
        else {
            throw .invalidSubtitles("line \(lineNumber): malformed cue timing `\(line.prefix(80))`")
        }
        guard start <= end else {
            throw .invalidSubtitles("line \(lineNumber): the cue ends before it starts")
        }
        guard end < self.maxTimestampMilliseconds else {
            throw .invalidSubtitles("line \(lineNumber): a cue time past 24 hours")
        }
        return (start, end)
    }

    /// `[hh:]mm:ss[,.]fff` → milliseconds; `nil` when malformed (minutes or seconds ≥ 60,
    /// missing or over-long fields).
    static func parseTimestamp(_ text: Substring) -> Int64? {
        let clockAndFraction = text.split(separator: ",", omittingEmptySubsequences: false).count == 2
            ? text.split(separator: ",", omittingEmptySubsequences: false)
            : text.split(separator: ".", omittingEmptySubsequences: false)
        guard clockAndFraction.count == 2 else { return nil }
        let fraction = clockAndFraction[1]
        guard (1...3).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit),
              let fractionValue = Int64(fraction)
        else { return nil }
        let milliseconds = fractionValue * [100, 10, 1][fraction.count - 1]

        let fields = clockAndFraction[0].split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(fields.count),
              fields.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        let values = fields.compactMap { Int64($0) }
        let hours = values.count == 3 ? values[0] : 0
        let minutes = values[values.count - 2]
        let seconds = values[values.count - 1]
        guard minutes < 60, seconds < 60 else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds
    }

    /// The words a voice should say: markup (`<i>`, `<v Name>`, `{\an8}`) removed, common entities decoded.
    static func plainText(_ line: Substring) -> String {
        var result = ""
        var skipUntil: Character?
        for character in line {
            if let closing = skipUntil {
                if character == closing { skipUntil = nil }
                continue
            }
            switch character {
            case "<": skipUntil = ">"
            case "{": skipUntil = "}"
            default: result.append(character)
            }
        }
        let entities = ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&lrm;": "", "&rlm;": "", "&quot;": "\"", "&apos;": "'"]
        for (entity, replacement) in entities { result = result.replacing(entity, with: replacement) }
        return result.trimmingWhitespace()
    }

    private static func isBlank(_ line: Substring) -> Bool {
        line.allSatisfy(\.isWhitespace)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
