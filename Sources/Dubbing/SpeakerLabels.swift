import Foundation
import Media

/// One label per person across every piece of a long file. The provider labels each
/// piece on its own (its `A` in piece 2 need not be piece 1's `A`), so each speaker met
/// gets a stable label here (`A`, `B`, … in order of first appearance) and, once a line
/// of theirs at least `minReferenceSeconds` long is heard, a short clip of their voice
/// that later pieces send as a known-speaker reference under the name `speaker_<label>`.
/// A speaker beyond the provider's four references gets a new label in each piece.
struct SpeakerLabels: Sendable {
    /// The provider takes references of 2 to 10 seconds; a few seconds are enough to recognise a voice.
    static let minReferenceSeconds = 2.0
    static let maxReferenceSeconds = 6.0
    static let knownNamePrefix = "speaker_"

    let folder: WorkFolder
    let ffmpegTimeoutSeconds: Double

    private(set) var labels: [String] = []
    /// Labels with a reference clip, in the order the clips were made (at most four).
    private(set) var referenced: [String] = []

    init(folder: WorkFolder, ffmpegTimeoutSeconds: Double) {
        self.folder = folder
        self.ffmpegTimeoutSeconds = ffmpegTimeoutSeconds
    }

    /// `A`…`Z`, then `S27`, `S28`, …
    static func label(_ index: Int) -> String {
        index < 26 ? String(UnicodeScalar(UInt8(65 + index))) : "S\(index + 1)"
    }

    func referenceFile(_ label: String) -> String {
        self.folder.file("transcript/speaker-\(label).wav")
    }

    /// The known speakers to send with the next piece.
    func knownSpeakers() throws(DubbingError) -> [OpenAIClient.KnownSpeaker] {
        try self.referenced.map { label throws(DubbingError) in
            let clip = Data(try self.folder.readBytes(self.referenceFile(label)))
            return OpenAIClient.KnownSpeaker(
                name: Self.knownNamePrefix + label, referenceDataURL: "data:audio/wav;base64," + clip.base64EncodedString())
        }
    }

    /// The stable label of each of a piece's segments, in order; makes reference clips of
    /// new speakers from the piece's audio.
    mutating func assign(
        _ segments: [OpenAIClient.Transcription.Segment], piecePath: String
    ) async throws(DubbingError) -> [String] {
        var local: [String: String] = [:]
        var assigned: [String] = []
        for segment in segments {
            let raw = segment.speaker ?? "?"
            let known = raw.hasPrefix(Self.knownNamePrefix) ? String(raw.dropFirst(Self.knownNamePrefix.count)) : nil
            if let known, self.referenced.contains(known) {
                assigned.append(known)
            } else if let label = local[raw] {
                assigned.append(label)
            } else {
                let label = Self.label(self.labels.count)
                self.labels.append(label)
                local[raw] = label
                assigned.append(label)
            }
        }
        for label in Set(assigned).sorted() where !self.referenced.contains(label)
            && self.referenced.count < OpenAIClient.maxKnownSpeakers
        {
            let lines = zip(segments, assigned).filter { $0.1 == label }.map(\.0)
            guard let longest = lines.max(by: { $0.end - $0.start < $1.end - $1.start }),
                  longest.end - longest.start >= Self.minReferenceSeconds
            else { continue }
            try await self.cutReference(label, from: piecePath, start: longest.start, end: longest.end)
            self.referenced.append(label)
        }
        return assigned
    }

    /// 16 kHz mono WAV of the speaker's line, at most `maxReferenceSeconds` long. Made
    /// again from the same piece and answer after a restart, so no manifest is needed.
    private func cutReference(_ label: String, from piecePath: String, start: Double, end: Double) async throws(DubbingError) {
        let file = self.referenceFile(label)
        if self.folder.exists(file) { return }
        let temporary = WorkFolder.temporaryName(for: file)
        let seconds = min(Self.maxReferenceSeconds, end - start)
        do {
            _ = try await FFmpegCommand.ffmpeg([
                "-ss", String(format: "%.3f", max(0, start)), "-t", String(format: "%.3f", seconds), "-i", piecePath,
                "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", temporary,
            ], timeoutSeconds: self.ffmpegTimeoutSeconds).run()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .ffmpeg(error, during: "speaker reference")
        }
        try self.folder.rename(temporary, to: file)
    }
}
