import Foundation
import Media
import Synchronization

/// The fake server's audio work: measuring uploads and making speech-like MP3s.
/// Generated MP3s are cached by length, so a test suite runs ffmpeg a few times only.
final class FakeOpenAIAudio: Sendable {
    private let tones = Mutex<[Int: [UInt8]]>([:])

    /// An MP3 tone of `tenthsOfSecond` / 10 seconds, mono 24 kHz as OpenAI's speech is.
    func tone(tenthsOfSecond: Int) async throws -> [UInt8] {
        if let cached = self.tones.withLock({ $0[tenthsOfSecond] }) { return cached }
        let seconds = Double(tenthsOfSecond) / 10
        let mp3 = try await FFmpegCommand.ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=24000:duration=\(seconds)",
            "-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "pipe:1",
        ], timeoutSeconds: 30).run()
        self.tones.withLock { $0[tenthsOfSecond] = mp3 }
        return mp3
    }

    /// The duration ffprobe reads from the uploaded bytes, or `nil` when it cannot read them.
    func durationSeconds(of contents: Data, fileName: String) async -> Double? {
        let ext = URL(fileURLWithPath: fileName).pathExtension
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString).\(ext)").path
        guard FileManager.default.createFile(atPath: path, contents: contents) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try? await Self.probeDurationSeconds(path)
    }

    /// `ffprobe`'s format duration of a file, in seconds.
    static func probeDurationSeconds(_ path: String) async throws -> Double? {
        let output = try await FFmpegCommand.ffprobe(
            ["-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path],
            timeoutSeconds: 30
        ).run()
        return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
