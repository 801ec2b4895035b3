import Foundation
import Media
import Synchronization

/// The fake server's audio work: measuring uploads and making speech-like audio.
/// Generated MP3s are cached by length, so a test suite runs ffmpeg a few times only.
final class FakeOpenAIAudio: Sendable {
    private let tones = Mutex<[Int: [UInt8]]>([:])

    /// An MP3 tone of `tenthsOfSecond` / 10 seconds, mono 24 kHz as OpenAI's speech is.
    func tone(tenthsOfSecond: Int) async throws -> [UInt8] {
        if let cached = self.tones.withLock({ $0[tenthsOfSecond] }) { return cached }
        let seconds = Double(tenthsOfSecond) / 10
        let mp3 = try await Tone(seconds: seconds, sampleRate: 24_000).encoded(["-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3"])
        self.tones.withLock { $0[tenthsOfSecond] = mp3 }
        return mp3
    }

    /// A tone of `tenthsOfSecond` / 10 seconds as `pcm` speech: raw 24 kHz 16-bit
    /// little-endian mono samples, with no header.
    func pcmTone(tenthsOfSecond: Int) -> [UInt8] {
        let sampleRate = 24_000
        let count = sampleRate * tenthsOfSecond / 10
        var bytes = [UInt8](repeating: 0, count: count * 2)
        for index in 0..<count {
            let sample = UInt16(bitPattern: Int16(8_000 * sin(2 * Double.pi * 440 * Double(index) / Double(sampleRate))))
            bytes[2 * index] = UInt8(sample & 0xFF)
            bytes[2 * index + 1] = UInt8(sample >> 8)
        }
        return bytes
    }

    /// The duration of the uploaded audio, measured in-process as the API measures
    /// uploads (no ffprobe run: a benchmark's fake should not compete with the workers
    /// for the CPU), or `nil` when it is not readable audio.
    func durationSeconds(of contents: Data, fileName: String) async -> Double? {
        let ext = URL(fileURLWithPath: fileName).pathExtension
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString).\(ext)").path
        guard FileManager.default.createFile(atPath: path, contents: contents) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let info = try? AudioProbe().probe(fileAtPath: path) else { return nil }
        return Double(info.durationMilliseconds) / 1000
    }
}
