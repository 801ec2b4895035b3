import Crypto
import Dispatch
import Foundation
import Media
import Synchronization

/// The fake server's audio work: measuring uploads and making speech-like audio.
/// Generated MP3s are cached by length, so a test suite runs ffmpeg a few times only.
final class FakeOpenAIAudio: Sendable {
    private let tones = Mutex<[Int: [UInt8]]>([:])
    /// Measured durations by SHA-256 of the upload (nil: not audio).
    private let durations = Mutex<[String: Double?]>([:])

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

    /// The duration of the uploaded audio as ffprobe reads it, or by decoding it with
    /// ffmpeg when ffprobe finds no duration; `nil` when it is not audio. Measured by
    /// ffmpeg's tools, never by Auris's own `AudioProbe`, so that the fake does not share
    /// the code it checks. Cached by content: a retried upload costs no second run (the
    /// worker benchmark runs against this fake and should not pay for it twice).
    func durationSeconds(of contents: Data, fileName: String) async -> Double? {
        let key = SHA256.hash(data: contents).map { String(format: "%02x", $0) }.joined()
        if let cached = self.durations.withLock({ $0[key] }) { return cached }
        let ext = URL(fileURLWithPath: fileName).pathExtension
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("upload.\(ext)").path
        guard FileManager.default.createFile(atPath: path, contents: contents) else { return nil }
        var seconds = await Self.probedSeconds(path)
        if seconds == nil { seconds = await Self.decodedSeconds(path, scratch: folder.appendingPathComponent("decoded.raw").path) }
        self.durations.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll() }
            cache[key] = .some(seconds)
        }
        return seconds
    }

    /// The first audio stream as 8 kHz mono 16-bit samples, decoded by ffmpeg; `nil` when
    /// it is not audio. The diarization handler tells voices apart by their pitch in these.
    func samples(of contents: Data, fileName: String) async -> [Int16]? {
        let ext = URL(fileURLWithPath: fileName).pathExtension
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("upload.\(ext.isEmpty ? "bin" : ext)").path
        guard FileManager.default.createFile(atPath: path, contents: contents) else { return nil }
        let arguments = ["-v", "error", "-nostdin", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", "\(Self.analysisRate)", "-f", "s16le", "pipe:1"]
        guard let output = await Self.run("ffmpeg", arguments), !output.isEmpty else { return nil }
        return output.withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        }
    }

    static let analysisRate = 8_000

    /// `format.duration` of a file that has an audio stream, by ffprobe.
    private static func probedSeconds(_ path: String) async -> Double? {
        let arguments = [
            "-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_type:format=duration",
            "-of", "default=noprint_wrappers=1", path,
        ]
        guard let output = await run("ffprobe", arguments) else { return nil }
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        guard lines.contains("codec_type=audio"),
              let duration = lines.first(where: { $0.hasPrefix("duration=") }).flatMap({ Double($0.dropFirst("duration=".count)) }),
              duration > 0
        else { return nil }
        return duration
    }

    /// The length of the first audio stream decoded to 8 kHz mono 16-bit samples.
    private static func decodedSeconds(_ path: String, scratch: String) async -> Double? {
        let arguments = ["-v", "error", "-nostdin", "-y", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "s16le", scratch]
        guard await run("ffmpeg", arguments) != nil,
              let bytes = (try? FileManager.default.attributesOfItem(atPath: scratch))?[.size] as? Int, bytes > 0
        else { return nil }
        return Double(bytes) / 16_000
    }

    /// Standard output of a tool that exited 0 (killed after 30 s), else nil.
    private static func run(_ tool: String, _ arguments: [String]) async -> Data? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [tool] + arguments
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(returning: nil)
                    return
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if process.isRunning { process.terminate() } }
                // Small outputs only (ffprobe's few lines): read all, then wait.
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus == 0 ? data : nil)
            }
        }
    }
}
