import Foundation
import Media

/// Makes one segment's speech fit its slot: decodes its clips to raw samples, speeds
/// them up with ffmpeg's `atempo` when they are longer than the slot (up to `maxTempo`),
/// and cuts what still overflows with a short fade so the cut does not click.
///
/// Samples are 16-bit little-endian mono at `sampleRate`, as bytes. Clips already in
/// that format (`.pcm`, OpenAI's `pcm` speech) are read as they are; others are decoded
/// with ffmpeg.
struct ClipFitter: Sendable {
    static let sampleRate = OpenAIClient.speechSampleRate
    /// The extension of clips that hold raw samples in this format.
    static let rawClipExtension = "pcm"
    static let bytesPerSample = 2
    /// Below this much speed-up the change is not worth an ffmpeg run.
    static let minTempo = 1.02
    /// Length of the fade-out at a cut: 20 ms.
    static let fadeSamples = sampleRate / 50

    let scratchFolder: String
    let maxTempo: Double
    let ffmpegTimeoutSeconds: Double

    /// The segment's speech, at most `roomSamples` long.
    func fittedSamples(clipFiles: [String], roomSamples: Int) async throws(DubbingError) -> [UInt8] {
        var samples: [UInt8] = []
        for file in clipFiles {
            samples += try await self.decode(file)
        }
        let sampleCount = samples.count / Self.bytesPerSample
        guard sampleCount > roomSamples else { return samples }
        if roomSamples <= 0 { return [] }

        let tempo = min(self.maxTempo, Double(sampleCount) / Double(roomSamples))
        if tempo >= Self.minTempo {
            samples = try await self.stretch(samples, tempo: tempo)
        }
        if samples.count > roomSamples * Self.bytesPerSample {
            samples.removeLast(samples.count - roomSamples * Self.bytesPerSample)
            Self.fadeOut(&samples)
        }
        return samples
    }

    private func decode(_ file: String) async throws(DubbingError) -> [UInt8] {
        if file.hasSuffix(".\(Self.rawClipExtension)") { return try self.readRaw(file) }
        do {
            return try await FFmpegCommand.ffmpeg([
                "-i", file, "-map", "0:a:0", "-ac", "1", "-ar", "\(Self.sampleRate)",
                "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1",
            ], timeoutSeconds: self.ffmpegTimeoutSeconds).run()
        } catch {
            guard error.code == .failed else { throw .ffmpeg(error, during: "assemble (decoding \(file))") }
            // A damaged clip (a bad answer, or a file cut short by a power loss) would fail
            // every attempt: drop it, and let the next attempt ask for it again.
            try? FileManager.default.removeItem(atPath: file)
            throw .providerBadResponse("assemble: the clip \(file) cannot be decoded and was removed: \(error.standardErrorTail.suffix(300))")
        }
    }

    private func readRaw(_ file: String) throws(DubbingError) -> [UInt8] {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw .storageFailed("assemble: cannot read the clip \(file)")
        }
        guard contents.count.isMultiple(of: Self.bytesPerSample) else {
            // Saved whole or not at all, so only a bad answer gets here: ask again next attempt.
            try? FileManager.default.removeItem(atPath: file)
            throw .providerBadResponse("assemble: the clip \(file) is not whole 16-bit samples and was removed")
        }
        return [UInt8](contents)
    }

    private func stretch(_ samples: [UInt8], tempo: Double) async throws(DubbingError) -> [UInt8] {
        let input = "\(self.scratchFolder)/stretch-\(UUID().uuidString.prefix(8)).pcm"
        guard FileManager.default.createFile(atPath: input, contents: Data(samples)) else {
            throw .storageFailed("cannot write \(input)")
        }
        defer { try? FileManager.default.removeItem(atPath: input) }
        let format = ["-f", "s16le", "-ar", "\(Self.sampleRate)", "-ac", "1"]
        do {
            return try await FFmpegCommand.ffmpeg(
                format + ["-i", input, "-af", Self.atempoChain(tempo)] + format + ["pipe:1"],
                timeoutSeconds: self.ffmpegTimeoutSeconds
            ).run()
        } catch {
            throw .ffmpeg(error, during: "assemble (time-stretching)")
        }
    }

    /// `atempo` filters whose product is `tempo`, each within 0.5…2.0 (older ffmpeg's limit
    /// per filter, and where its quality is best).
    static func atempoChain(_ tempo: Double) -> String {
        precondition(tempo > 0)
        var remaining = tempo
        var factors: [Double] = []
        while remaining > 2.0 {
            factors.append(2.0)
            remaining /= 2.0
        }
        factors.append(remaining)
        return factors.map { "atempo=\(String(format: "%.6f", $0))" }.joined(separator: ",")
    }

    /// Linear fade over the last `fadeSamples` samples.
    static func fadeOut(_ samples: inout [UInt8]) {
        let count = samples.count / self.bytesPerSample
        let fadeCount = min(self.fadeSamples, count)
        guard fadeCount > 0 else { return }
        for index in (count - fadeCount)..<count {
            let offset = index * self.bytesPerSample
            let value = Int16(bitPattern: UInt16(samples[offset]) | UInt16(samples[offset + 1]) << 8)
            let gain = Double(count - index - 1) / Double(fadeCount)
            let faded = UInt16(bitPattern: Int16((Double(value) * gain).rounded()))
            samples[offset] = UInt8(faded & 0xFF)
            samples[offset + 1] = UInt8(faded >> 8)
        }
    }
}
