import Dubbing
import Foundation

/// A job's transcript written as SubRip or WebVTT: one cue per line, timed as spoken,
/// each naming its speaker (`[A] text` in SRT, a voice tag `<v A>` in WebVTT).
enum TranscriptFormat: String {
    case json, srt, vtt

    var contentType: String {
        switch self {
        case .json: "application/json"
        case .srt: "application/x-subrip; charset=utf-8"
        case .vtt: "text/vtt; charset=utf-8"
        }
    }

    /// The cues' text in one language: `source` (what was heard) or `target` (what the dub says).
    static func subtitles(_ transcript: DubbingTranscript, format: TranscriptFormat, source: Bool) -> String {
        var output = format == .vtt ? "WEBVTT\n\n" : ""
        var number = 0
        for line in transcript.lines {
            let words = Self.singleLine(source ? line.sourceText ?? "" : line.targetText)
            // A cue must last; SRT and WebVTT readers drop one whose end is not after its start.
            guard !words.isEmpty, line.endMilliseconds > line.startMilliseconds else { continue }
            number += 1
            let times = Self.time(line.startMilliseconds, format) + " --> " + Self.time(line.endMilliseconds, format)
            switch format {
            case .vtt:
                let text = Self.vttEscaped(words)
                output += "\(number)\n\(times)\n" + (line.speaker.map { "<v \(Self.vttEscaped($0))>\(text)" } ?? text) + "\n\n"
            default:
                // SRT readers take `<…>` for markup and decode no entities: angle brackets become ‹ ›.
                let text = words.replacingOccurrences(of: "<", with: "‹").replacingOccurrences(of: ">", with: "›")
                output += "\(number)\n\(times)\n" + (line.speaker.map { "[\($0)] \(text)" } ?? text) + "\n\n"
            }
        }
        return output
    }

    /// `00:01:02,345` (SRT) or `00:01:02.345` (WebVTT).
    static func time(_ milliseconds: Int64, _ format: TranscriptFormat) -> String {
        let total = max(0, milliseconds)
        let hours = total / 3_600_000, minutes = total / 60_000 % 60, seconds = total / 1_000 % 60, rest = total % 1_000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(rest + 1_000).dropFirst()
        return "\(two(hours)):\(two(minutes)):\(two(seconds))\(format == .vtt ? "." : ",")\(fraction)"
    }

    /// A blank line ends a cue in both formats, and `-->` would read as a timing: text is
    /// written on one line, arrows broken.
    private static func singleLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "-->", with: "->")
            .trimmingCharacters(in: .whitespaces)
    }

    private static func vttEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
