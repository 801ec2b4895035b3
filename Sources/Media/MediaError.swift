/// Why a file was refused as audio to dub.
///
/// `code` is stable and safe to show to clients; `message` explains the case in words.
/// The API answers `415 unsupported_media` when ``isNotAudio`` is true and
/// `422 invalid_audio` otherwise.
///
/// ```swift
/// do { _ = try AudioProbe().probe(fileAtPath: path) }
/// catch { print("\(error.code): \(error.message)") } // "no_audio_stream: ..."
/// ```
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: String, Sendable {
        case emptyFile = "empty_file"
        case unknownFormat = "unknown_format"
        case noAudioStream = "no_audio_stream"
        case videoWithoutAudio = "video_without_audio"
        case invalidDuration = "invalid_duration"
        case tooLong = "too_long"
        case corrupt
        case unreadable
        case timeout
    }

    private let kind: Code
    /// A human-readable explanation of this particular refusal.
    public let message: String

    private init(_ kind: Code, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The stable machine-readable code, e.g. `"too_long"`.
    public var code: String { kind.rawValue }

    /// True when the file is not audio at all (unknown format, no audio stream),
    /// as opposed to audio that cannot be accepted.
    public var isNotAudio: Bool { kind == .unknownFormat || kind == .noAudioStream }

    public var description: String { "\(code): \(message)" }

    /// The file has no bytes.
    public static func emptyFile() -> MediaError {
        MediaError(.emptyFile, "the file is empty")
    }

    /// The bytes are not a container format that is accepted.
    public static func unknownFormat(_ detail: String) -> MediaError {
        MediaError(.unknownFormat, detail)
    }

    /// The container has no audio stream that can be decoded.
    public static func noAudioStream(_ detail: String) -> MediaError {
        MediaError(.noAudioStream, detail)
    }

    /// A video without any audio stream: a video we could read, with nothing to dub.
    public static func videoWithoutAudio() -> MediaError {
        MediaError(.videoWithoutAudio, "the video has no audio track: there is nothing to dub")
    }

    /// The audio measures zero or negative length.
    public static func invalidDuration(_ detail: String) -> MediaError {
        MediaError(.invalidDuration, detail)
    }

    /// The audio is longer than the limit.
    public static func tooLong(durationMilliseconds: Int64, limitMilliseconds: Int64, measuredToEnd: Bool) -> MediaError {
        let measured = measuredToEnd ? "is" : "is at least"
        return MediaError(
            .tooLong,
            "the audio \(measured) \(formatSeconds(durationMilliseconds)) long; the limit is \(formatSeconds(limitMilliseconds))"
        )
    }

    /// The data is truncated or damaged, or reading it went past a bound.
    public static func corrupt(_ detail: String) -> MediaError {
        MediaError(.corrupt, detail)
    }

    /// The file cannot be opened or read (missing, not a regular file, I/O error).
    public static func unreadable(_ detail: String) -> MediaError {
        MediaError(.unreadable, detail)
    }

    /// Probing took longer than its time limit.
    public static func timeout(seconds: Double) -> MediaError {
        MediaError(.timeout, "probing the file took longer than \(seconds) s")
    }

    private static func formatSeconds(_ milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
    }
}
