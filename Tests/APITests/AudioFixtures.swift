import AurisTestSupport
import Foundation
import Synchronization

/// Small media files made with the `ffmpeg` command, once per process: mono, low sample
/// rates, a few seconds, because multipart parsing in a debug build is slow.
enum AudioFixtures {
    private static let directory = try! TemporaryDirectory("auris-api-fixtures")
    private static let made = Mutex<[String: String]>([:])

    /// A sine tone as 16-bit PCM WAV.
    static func wav(seconds: Double, sampleRate: Int = 8_000) async throws -> String {
        try await make("tone-\(seconds)-\(sampleRate).wav") { path in
            try await Tone(seconds: seconds, sampleRate: sampleRate).write(to: path, codec: ["-c:a", "pcm_s16le"])
        }
    }

    static func wavBytes(seconds: Double, sampleRate: Int = 8_000) async throws -> [UInt8] {
        try bytes(try await wav(seconds: seconds, sampleRate: sampleRate))
    }

    /// A sine tone as MP3, as a finished job's result would be.
    static func mp3(seconds: Double) async throws -> String {
        try await make("tone-\(seconds).mp3") { path in
            try await Tone(seconds: seconds, sampleRate: 16_000, frequency: 330).write(to: path, codec: ["-c:a", "libmp3lame"])
        }
    }

    /// A tiny video (`TestVideo`) in the container `name`'s extension names.
    static func video(_ name: String, _ video: TestVideo) async throws -> [UInt8] {
        try bytes(try await make(name) { path in try await video.write(to: path) })
    }

    /// A one-frame PNG picture.
    static func png() async throws -> String {
        try await make("picture.png") { path in
            try await FFmpegTool.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1", path])
        }
    }

    /// A WAV whose samples stop in the middle of what its header announces.
    static func truncatedWAV() async throws -> String {
        let whole = try await wav(seconds: 3)
        let path = directory.appending("truncated.wav")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Two cues of SRT subtitles, which the offline engine needs.
    static let subtitles = Array("1\n00:00:00,000 --> 00:00:01,500\nBonjour.\n\n2\n00:00:01,500 --> 00:00:02,800\nÇa va ?\n".utf8)

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The file `name`, made by `body` into the path it is given, once per process.
    private static func make(_ name: String, _ body: (String) async throws -> Void) async throws -> String {
        if let path = made.withLock({ $0[name] }) { return path }
        let path = directory.appending(UUID().uuidString.prefix(8) + "-" + name)
        try await body(path)
        made.withLock { $0[name] = path }
        return path
    }
}
