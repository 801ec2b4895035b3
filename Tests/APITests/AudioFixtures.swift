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
        try await make("tone-\(seconds)-\(sampleRate).wav", [
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=\(sampleRate):duration=\(seconds)",
            "-ac", "1", "-c:a", "pcm_s16le",
        ])
    }

    static func wavBytes(seconds: Double, sampleRate: Int = 8_000) async throws -> [UInt8] {
        try bytes(try await wav(seconds: seconds, sampleRate: sampleRate))
    }

    /// A sine tone as MP3, as a finished job's result would be.
    static func mp3(seconds: Double) async throws -> String {
        try await make("tone-\(seconds).mp3", [
            "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=16000:duration=\(seconds)", "-ac", "1", "-c:a", "libmp3lame",
        ])
    }

    /// A one-frame PNG picture.
    static func png() async throws -> String {
        try await make("picture.png", ["-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1"])
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

    private static func make(_ name: String, _ arguments: [String]) async throws -> String {
        if let path = made.withLock({ $0[name] }) { return path }
        let path = directory.appending(UUID().uuidString.prefix(8) + "-" + name)
        let result = try await runProcess(
            "/usr/bin/env", ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + arguments + [path], timeoutSeconds: 60)
        guard result.status == 0 else { throw FixtureError(message: "ffmpeg \(name): \(result.standardError)") }
        made.withLock { $0[name] = path }
        return path
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
