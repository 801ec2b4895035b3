/// A sine tone made with the `ffmpeg` command line, cut to its exact sample count: the
/// one generator of test audio, so no binary fixture is committed and each test states
/// the shape of its file.
public struct Tone: Sendable {
    public var seconds: Double
    public var sampleRate: Int
    public var channels: Int
    public var frequency: Int

    public init(seconds: Double, sampleRate: Int = 44_100, channels: Int = 1, frequency: Int = 440) {
        self.seconds = seconds
        self.sampleRate = sampleRate
        self.channels = channels
        self.frequency = frequency
    }

    /// Writes the tone to `path`, encoded with `codec` (ffmpeg output options; none: the
    /// file name's default), and returns the path.
    @discardableResult
    public func write(to path: String, codec: [String] = []) async throws -> String {
        try await FFmpegTool.ffmpeg(arguments(codec) + [path])
        return path
    }

    /// `write(to:codec:)` on the calling thread, for synchronous tests.
    @discardableResult
    public func writeBlocking(to path: String, codec: [String] = []) throws -> String {
        try FFmpegTool.ffmpegBlocking(arguments(codec) + [path])
        return path
    }

    /// The encoded file's bytes, for a `codec` that names its format (`-f mp3`).
    public func encoded(_ codec: [String]) async throws -> [UInt8] {
        Array(try await FFmpegTool.ffmpeg(arguments(codec) + ["pipe:1"]))
    }

    private func arguments(_ codec: [String]) -> [String] {
        let samples = Int((seconds * Double(sampleRate)).rounded())
        return ["-f", "lavfi", "-i", "sine=frequency=\(frequency):sample_rate=\(sampleRate):duration=\(seconds + 1)",
                "-af", "atrim=end_sample=\(samples)", "-ac", "\(channels)"] + codec
    }
}
