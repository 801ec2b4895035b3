import Foundation

/// A tiny video made with the `ffmpeg` command line at test time: a test pattern at
/// 64x36, 5 frames a second, and a sine, in the container the file name's extension
/// names. No binary fixture is committed; a 30-s MP4 is about 300 KB.
public struct TestVideo: Sendable {
    public var seconds: Double
    /// The audio's length when it differs from the video's; nil: the same.
    public var audioSeconds: Double?
    public var hasAudio: Bool
    /// An ISO 639-2 tag on the audio track, if any.
    public var audioLanguage: String?

    public init(seconds: Double, audioSeconds: Double? = nil, hasAudio: Bool = true, audioLanguage: String? = nil) {
        self.seconds = seconds
        self.audioSeconds = audioSeconds
        self.hasAudio = hasAudio
        self.audioLanguage = audioLanguage
    }

    /// Writes the video to `path` (`.mp4`, `.mov`, `.mkv`: H.264 and AAC; `.webm`: VP8
    /// and Opus) and returns the path.
    @discardableResult
    public func write(to path: String) async throws -> String {
        let webm = path.hasSuffix(".webm")
        var arguments = ["-f", "lavfi", "-i", "testsrc=size=64x36:rate=5:duration=\(seconds)"]
        if hasAudio {
            arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(audioSeconds ?? seconds)"]
        }
        arguments += webm ? ["-c:v", "libvpx", "-b:v", "50k"] : ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if hasAudio {
            arguments += webm ? ["-c:a", "libopus", "-b:a", "32k"] : ["-c:a", "aac", "-b:a", "32k"]
            if let audioLanguage { arguments += ["-metadata:s:a:0", "language=\(audioLanguage)"] }
        }
        try await FFmpegTool.ffmpeg(arguments + [path])
        return path
    }

    /// A checksum of every video packet's bytes (`-f streamhash`): equal for two files
    /// exactly when their video was copied, not encoded again.
    public static func videoPacketHash(of path: String) async throws -> String {
        let output = try await FFmpegTool.ffmpeg(["-i", path, "-map", "0:v", "-c", "copy", "-f", "streamhash", "-hash", "sha256", "-"])
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One stream of a file as ffprobe describes it.
    public struct Stream: Sendable, Equatable {
        public var codecType: String
        public var codecName: String
        public var isDefault: Bool
        /// The stream's tags (`language`, `title`, `handler_name`…), keys in lower case.
        public var tags: [String: String]
    }

    /// The file's streams, in order, and its container's short names, from ffprobe.
    public static func streams(of path: String) async throws -> (formatName: String, streams: [Stream]) {
        let output = try await FFmpegTool.ffprobeJSON(
            ["-show_entries", "format=format_name:stream=codec_type,codec_name:stream_tags:stream_disposition=default", path])
        guard let root = try JSONSerialization.jsonObject(with: output) as? [String: Any],
              let format = root["format"] as? [String: Any], let formatName = format["format_name"] as? String,
              let streams = root["streams"] as? [[String: Any]]
        else { throw FixtureError("ffprobe gave no streams for \(path)") }
        return (formatName, streams.map { stream in
            let tags = (stream["tags"] as? [String: String] ?? [:]).reduce(into: [String: String]()) { $0[$1.key.lowercased()] = $1.value }
            let disposition = stream["disposition"] as? [String: Any]
            return Stream(
                codecType: stream["codec_type"] as? String ?? "", codecName: stream["codec_name"] as? String ?? "",
                isDefault: (disposition?["default"] as? Int) == 1, tags: tags)
        })
    }
}
