import AurisTestSupport
import Dispatch
import Foundation
import Media
import Testing

/// The in-process decoder gives the samples the ffmpeg command gives, for the formats
/// customers upload, and refuses what is not audio with `undecodable`.
@Suite(.timeLimit(.minutes(5))) struct AudioDecoderTests {
    struct Format: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var sampleRate: Int
        var channels: Int
        var codec: [String]
        var testDescription: String { name }
    }

    static let formats: [Format] = [
        Format(name: "WAV, 44.1 kHz stereo", file: "tone.wav", sampleRate: 44_100, channels: 2, codec: ["-c:a", "pcm_s16le"]),
        Format(name: "MP3, 44.1 kHz stereo", file: "tone.mp3", sampleRate: 44_100, channels: 2, codec: ["-c:a", "libmp3lame", "-b:a", "128k"]),
        Format(name: "M4A (AAC), 48 kHz mono", file: "tone.m4a", sampleRate: 48_000, channels: 1, codec: ["-c:a", "aac", "-b:a", "96k"]),
        Format(name: "WebM (Opus), 48 kHz stereo", file: "tone.webm", sampleRate: 48_000, channels: 2, codec: ["-c:a", "libopus", "-b:a", "64k"]),
    ]

    @Test(arguments: formats) func decodesToMonoSamplesAsTheFFmpegCommandDoes(_ format: Format) async throws {
        let folder = try TemporaryDirectory("auris-decoder")
        defer { folder.remove() }
        let seconds = 3.0
        let file = try await Tone(seconds: seconds, sampleRate: format.sampleRate, channels: format.channels)
            .write(to: folder.appending(format.file), codec: format.codec)
        let rate = 16_000

        let (count, peak) = try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
            var count = 0
            var peak: Int16 = 0
            try AudioDecoder(sampleRate: rate).decode(fileAtPath: file, stop: stop) { samples in
                count += samples.count
                peak = samples.reduce(peak) { max($0, $1 == .min ? .max : abs($1)) }
            }
            return (count, peak)
        }
        let reference = try await FFmpegTool.ffmpeg(["-i", file, "-map", "0:a:0", "-ac", "1", "-ar", "\(rate)", "-f", "s16le", "pipe:1"])
        // The same libraries with the same defaults: at most a resampler's tail apart.
        #expect(abs(count - reference.count / 2) <= rate / 1000 * 5, "decoded \(count), ffmpeg \(reference.count / 2)")
        // The tone's own length, within one codec frame (MP3's 1152 samples at 44.1 kHz: 26 ms).
        #expect(abs(Double(count) / Double(rate) - seconds) <= 0.027, "decoded \(count) samples")
        // The tone is heard, not silence, and downmixed as ffmpeg does it (stereo at -3 dB).
        let referencePeak = reference.withUnsafeBytes { $0.bindMemory(to: Int16.self).map { abs(Int32($0)) }.max() ?? 0 }
        #expect(referencePeak > 2_000)
        #expect(abs(Int32(peak) - referencePeak) <= referencePeak / 50, "peak \(peak), ffmpeg's \(referencePeak)")
    }

    @Test func writesARawFileOfTheDecodedSamples() async throws {
        let folder = try TemporaryDirectory("auris-decoder")
        defer { folder.remove() }
        let source = try await Tone(seconds: 2, sampleRate: 22_050).write(to: folder.appending("speech.wav"))
        let output = folder.appending("speech.pcm")
        let samples = try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
            try AudioDecoder(sampleRate: 24_000).decode(fileAtPath: source, toRawFileAt: output, maxBytes: 1 << 20, stop: stop)
        }
        #expect(abs(samples - 48_000) <= 24)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int)
        #expect(size == Int(samples) * 2)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var make: @Sendable (TemporaryDirectory) async throws -> String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "text") { try $0.write("Bonjour, ceci est un fichier texte.\n", to: "notes.mp3") },
        Refusal(name: "random bytes") { folder in
            var generator = SplitMix64(seed: 7)
            return try folder.write((0..<65_536).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, to: "random.wav")
        },
        Refusal(name: "video without audio") { folder in
            let path = folder.appending("silent.mp4")
            try await FFmpegTool.ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=1:size=64x64", "-c:v", "mpeg4", path])
            return path
        },
        Refusal(name: "missing file") { $0.appending("nowhere.wav") },
    ]

    @Test(arguments: refusals) func whatIsNotAudioIsUndecodable(_ refusal: Refusal) async throws {
        let folder = try TemporaryDirectory("auris-decoder")
        defer { folder.remove() }
        let file = try await refusal.make(folder)
        let error = await #expect(throws: AudioCodecError.self) {
            try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
                try AudioDecoder(sampleRate: 16_000).decode(fileAtPath: file, stop: stop) { _ in }
            }
        }
        #expect(error?.code == .undecodable)
    }

    @Test func aCancelledTaskStopsTheDecodeBetweenFrames() async throws {
        let folder = try TemporaryDirectory("auris-decoder")
        defer { folder.remove() }
        let source = try await Tone(seconds: 30, sampleRate: 16_000).write(to: folder.appending("long.wav"))
        let firstChunk = DispatchSemaphore(value: 0)
        let canceled = DispatchSemaphore(value: 0)
        let decode = Task {
            try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
                var chunks = 0
                try AudioDecoder(sampleRate: 16_000).decode(fileAtPath: source, stop: stop) { _ in
                    chunks += 1
                    if chunks == 1 {
                        firstChunk.signal()
                        canceled.wait()
                    }
                }
                return chunks
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                firstChunk.wait()
                continuation.resume()
            }
        }
        decode.cancel()
        canceled.signal()
        let error = await #expect(throws: AudioCodecError.self) { try await decode.value }
        #expect(error?.code == .canceled)
    }

    @Test func workPastItsTimeLimitStops() async throws {
        let folder = try TemporaryDirectory("auris-decoder")
        defer { folder.remove() }
        let source = try await Tone(seconds: 1, sampleRate: 16_000).write(to: folder.appending("tone.wav"))
        let error = await #expect(throws: AudioCodecError.self) {
            try await CodecStop.run(timeLimitSeconds: 0) { stop throws(AudioCodecError) in
                try AudioDecoder(sampleRate: 16_000).decode(fileAtPath: source, stop: stop) { _ in }
            }
        }
        #expect(error?.code == .timedOut)
    }
}
