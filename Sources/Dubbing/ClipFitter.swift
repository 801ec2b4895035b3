import Foundation
import Media

/// Makes one segment's speech fit its slot: decodes its clips to raw samples, speeds
/// them up with ffmpeg's `atempo` when they are longer than the slot (up to `maxTempo`),
/// and cuts what still overflows with a short fade so the cut does not click.
///
/// Samples are 16-bit little-endian mono at `sampleRate`, in files: a segment's speech
/// goes from its clips to its fitted file a chunk at a time (`PCMFile`), and what the
/// tempo cap would cut anyway is never read, so memory stays flat however much text a
/// segment holds. Clips already in that format (`.pcm`, OpenAI's `pcm` speech) are read
/// as they are; others (espeak-ng's WAV) are decoded in-process (`AudioDecoder`). Only
/// the stretch runs the ffmpeg command, and only for a segment that needs it: `atempo`
/// is a filter of libavfilter, which Auris does not link.
struct ClipFitter: Sendable {
    static let sampleRate = OpenAIClient.speechSampleRate
    /// The extension of clips that hold raw samples in this format.
    static let rawClipExtension = "pcm"
    static let bytesPerSample = 2
    /// Below this much speed-up the change is not worth an ffmpeg run.
    static let minTempo = 1.02
    /// Length of the fade-out at a cut: 20 ms.
    static let fadeSamples = sampleRate / 50
    /// Speech read past what fills the slot at the capped tempo, so the cut falls inside
    /// speech (and fades) despite `atempo`'s few milliseconds of imprecision: 100 ms.
    static let stretchMarginSamples = sampleRate / 10

    let scratchFolder: String
    let maxTempo: Double
    let ffmpegTimeoutSeconds: Double

    /// Writes the segment's speech, at most `roomSamples` long, to `outputPath`, and
    /// returns its length in samples.
    func fit(clipFiles: [String], roomSamples: Int, to outputPath: String) async throws(DubbingError) -> Int {
        var rawFiles: [String] = []
        var decodedFiles: [String] = []
        defer { decodedFiles.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var speechSamples = 0
        for file in clipFiles {
            let raw = try await self.rawSamples(of: file)
            if raw != file { decodedFiles.append(raw) }
            rawFiles.append(raw)
            speechSamples += try PCMFile.sizeBytes(raw) / Self.bytesPerSample
        }
        let room = max(0, roomSamples)
        guard speechSamples > room else {
            return try self.join(rawFiles, upToSamples: speechSamples, into: outputPath)
        }
        let tempo = min(self.maxTempo, Double(speechSamples) / Double(max(1, room)))
        if room > 0, tempo >= Self.minTempo {
            let joined = "\(self.scratchFolder)/joined-\(UUID().uuidString.prefix(8)).pcm"
            defer { try? FileManager.default.removeItem(atPath: joined) }
            let inputSamples = Int((Double(room + Self.stretchMarginSamples) * tempo).rounded(.up))
            _ = try self.join(rawFiles, upToSamples: inputSamples, into: joined)
            try await self.stretch(joined, tempo: tempo, to: outputPath)
        } else {
            _ = try self.join(rawFiles, upToSamples: room, into: outputPath)
        }
        let fitted = try PCMFile.sizeBytes(outputPath) / Self.bytesPerSample
        guard fitted >= room, room > 0 else { return fitted }
        try PCMFile.cut(outputPath, toSamples: room)
        return room
    }

    /// Concatenates the first `upToSamples` samples of `files` into `output`.
    private func join(_ files: [String], upToSamples: Int, into output: String) throws(DubbingError) -> Int {
        let handle = try PCMFile.create(output)
        defer { try? handle.close() }
        var written = 0
        for file in files where written < upToSamples * Self.bytesPerSample {
            written += try PCMFile.append(file, upTo: upToSamples * Self.bytesPerSample - written, to: handle)
        }
        return written / Self.bytesPerSample
    }

    /// The clip as raw samples: the clip itself when it is raw, else a decoded copy in
    /// the scratch folder.
    private func rawSamples(of file: String) async throws(DubbingError) -> String {
        if file.hasSuffix(".\(Self.rawClipExtension)") {
            guard try PCMFile.sizeBytes(file).isMultiple(of: Self.bytesPerSample) else {
                // Saved whole or not at all, so only a bad answer gets here: ask again next attempt.
                try? FileManager.default.removeItem(atPath: file)
                throw .providerBadResponse("assemble: the clip \(file) is not whole 16-bit samples and was removed")
            }
            return file
        }
        let decoded = "\(self.scratchFolder)/decoded-\(UUID().uuidString.prefix(8)).pcm"
        do {
            try await CodecStop.run(timeLimitSeconds: self.ffmpegTimeoutSeconds) { stop throws(AudioCodecError) in
                try AudioDecoder(sampleRate: Self.sampleRate).decode(
                    fileAtPath: file, toRawFileAt: decoded, maxBytes: Self.maxDecodedBytes, stop: stop)
            }
            return decoded
        } catch {
            try? FileManager.default.removeItem(atPath: decoded)
            guard error.code == .undecodable else { throw .codec(error, during: "assemble (decoding \(file))") }
            // A damaged clip (a bad answer, or a file cut short by a power loss) would fail
            // every attempt: drop it, and let the next attempt ask for it again.
            try? FileManager.default.removeItem(atPath: file)
            throw .providerBadResponse("assemble: the clip \(file) cannot be decoded and was removed: \(error.message.suffix(300))")
        }
    }

    /// A decoded clip larger than this (an hour of samples) is not speech for one segment.
    static let maxDecodedBytes = Int64(3_600 * sampleRate * bytesPerSample)

    private func stretch(_ input: String, tempo: Double, to output: String) async throws(DubbingError) {
        let format = ["-f", "s16le", "-ar", "\(Self.sampleRate)", "-ac", "1"]
        do {
            _ = try await FFmpegCommand.ffmpeg(
                format + ["-i", input, "-af", Self.atempoChain(tempo)] + format + [output],
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
