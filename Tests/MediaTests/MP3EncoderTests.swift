import AurisTestSupport
import Foundation
import Media
import Testing

/// The in-process MP3 encoder writes files the probe (and so every player) reads as
/// mono MP3 of the length it was given, within its byte limit.
@Suite(.timeLimit(.minutes(5))) struct MP3EncoderTests {
    /// `seconds` of a 440 Hz sine at `sampleRate`, at half of full scale.
    static func sine(seconds: Double, sampleRate: Int) -> [Int16] {
        (0..<Int(seconds * Double(sampleRate))).map { index in
            Int16(16_000 * sin(2 * Double.pi * 440 * Double(index) / Double(sampleRate)))
        }
    }

    /// The prepare step's pieces (LAME's fast mode) and the result (LAME's default).
    @Test(arguments: [(16_000, 64_000, 7), (24_000, 96_000, nil)] as [(Int, Int, Int?)])
    func encodesAnMP3TheProbeMeasures(sampleRate: Int, bitsPerSecond: Int, quality: Int?) async throws {
        let folder = try TemporaryDirectory("auris-encoder")
        defer { folder.remove() }
        let path = folder.appending("speech.mp3")
        let samples = Self.sine(seconds: 2.5, sampleRate: sampleRate)
        let size = try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
            let encoder = try MP3Encoder(
                path: path, sampleRate: sampleRate, bitsPerSecond: bitsPerSecond, maxBytes: 1 << 20, quality: quality, stop: stop)
            // In uneven chunks, as a decoder hands them over.
            var offset = 0
            for length in [1, 1000, 4_608, 30_000, 100_000] where offset < samples.count {
                let end = min(samples.count, offset + length)
                try Array(samples[offset..<end]).withUnsafeBufferPointer { chunk throws(AudioCodecError) in try encoder.write(chunk) }
                offset = end
            }
            #expect(encoder.samplesWritten <= Int64(samples.count))
            try Array(samples[offset...]).withUnsafeBufferPointer { chunk throws(AudioCodecError) in try encoder.write(chunk) }
            return try encoder.finish()
        }

        let info = try AudioProbe().probe(fileAtPath: path)
        #expect(info.formatName == "mp3")
        #expect(info.audioStreams.map(\.codecName) == ["mp3"])
        #expect(info.audioStreams.first?.sampleRate == sampleRate)
        #expect(info.audioStreams.first?.channels == 1)
        // The Xing/LAME frame tells the encoder's delay and padding: the length is exact
        // to a millisecond or two.
        #expect(abs(info.durationMilliseconds - 2_500) <= 2, "measured \(info.durationMilliseconds) ms")
        #expect(size == info.sizeBytes)
        // A constant bit rate: 2.5 s of frames, plus the tag and the Xing frame.
        let expectedBytes = 2.5 * Double(bitsPerSecond) / 8
        #expect(Double(size) >= expectedBytes && Double(size) <= expectedBytes * 1.1 + 1_000, "\(size) bytes")
        // What ffmpeg decodes of it is the tone again, not silence.
        let decoded = try await FFmpegTool.ffmpeg(["-i", path, "-f", "s16le", "-ac", "1", "pipe:1"])
        let peak = decoded.withUnsafeBytes { $0.bindMemory(to: Int16.self).map { abs(Int32($0)) }.max() ?? 0 }
        #expect(peak > 12_000)
    }

    @Test func aRawFileIsEncodedWhole() async throws {
        let folder = try TemporaryDirectory("auris-encoder")
        defer { folder.remove() }
        let samples = Self.sine(seconds: 4, sampleRate: 24_000)
        let raw = try folder.write(samples.withUnsafeBytes { Array($0) }, to: "track.pcm")
        let path = folder.appending("track.mp3")
        try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
            let encoder = try MP3Encoder(path: path, sampleRate: 24_000, bitsPerSecond: 96_000, maxBytes: 1 << 20, stop: stop)
            try encoder.write(contentsOfRawFileAt: raw)
            #expect(encoder.samplesWritten + 1152 >= Int64(samples.count))
            try encoder.finish()
        }
        let info = try AudioProbe().probe(fileAtPath: path)
        #expect(abs(info.durationMilliseconds - 4_000) <= 2, "measured \(info.durationMilliseconds) ms")
    }

    @Test func anOutputPastItsByteLimitIsRefused() async throws {
        let folder = try TemporaryDirectory("auris-encoder")
        defer { folder.remove() }
        let samples = Self.sine(seconds: 10, sampleRate: 16_000)
        // 10 s at 64 kbit/s are 80 kB.
        let error = await #expect(throws: AudioCodecError.self) {
            try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
                let encoder = try MP3Encoder(
                    path: folder.appending("big.mp3"), sampleRate: 16_000, bitsPerSecond: 64_000, maxBytes: 40_000, stop: stop)
                try samples.withUnsafeBufferPointer { chunk throws(AudioCodecError) in try encoder.write(chunk) }
                try encoder.finish()
            }
        }
        #expect(error?.code == .outputTooLarge)
    }

    @Test func aRateTheEncoderCannotTakeIsRefused() async throws {
        let folder = try TemporaryDirectory("auris-encoder")
        defer { folder.remove() }
        let error = await #expect(throws: AudioCodecError.self) {
            try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
                _ = try MP3Encoder(path: folder.appending("odd.mp3"), sampleRate: 17_000, bitsPerSecond: 64_000, maxBytes: 1 << 20, stop: stop)
            }
        }
        #expect(error?.code == .encoderFailed)
    }
}
