import Foundation
import Media

/// One piece of the source prepared for speech-to-text.
struct PreparedPiece: Codable, Sendable, Equatable {
    /// File name inside `prepared/`.
    var fileName: String
    /// Where the piece starts in the source; added to the piece's segment times.
    var offsetMilliseconds: Int64
}

/// Step 1: the upload becomes mono 16 kHz MP3 pieces, each under the provider's upload
/// limit, decoded and encoded in-process (`AudioDecoder`, `MP3Encoder`): no ffmpeg
/// process. Speech-to-text needs no more than 16 kHz mono, and at 64 kbit/s a piece
/// holds about 50 minutes, so most uploads are one piece.
struct PrepareStage: Sendable {
    static let bitsPerSecond = 64_000
    static let sampleRate = 16_000

    let folder: WorkFolder
    let maxPieceBytes: Int
    let ffmpegTimeoutSeconds: Double

    /// Pieces shorter than this are dropped: they hold no speech worth dubbing and the
    /// provider refuses audio under 0.1 s.
    static let minPieceSeconds = 0.2

    /// Seconds per piece: as equal as possible, each under `maxPieceBytes` with a tenth
    /// spare (the tag, the Xing frame, the encoder's delay and padding), and half a
    /// second longer than an exact share so that a source a little longer than its
    /// measured duration cannot spill into a tiny extra piece.
    func pieceSeconds(durationMilliseconds: Int64) -> Double {
        let maxSeconds = Double(self.maxPieceBytes) * 8 / Double(Self.bitsPerSecond) * 0.9
        let durationSeconds = Double(durationMilliseconds) / 1000
        let pieceCount = max(1, (durationSeconds / (maxSeconds - 0.5)).rounded(.up))
        return durationSeconds / pieceCount + 0.5
    }

    /// The pieces, prepared now or by an earlier attempt.
    func run(sourcePath: String, durationMilliseconds: Int64) async throws(DubbingError) -> [PreparedPiece] {
        if let pieces = self.folder.readJSON([PreparedPiece].self, from: self.folder.piecesManifest) {
            return pieces
        }
        // Pieces are made in a staging folder that is renamed when complete, so
        // `prepared/` is either whole or absent.
        let staging = self.folder.file("prepared.partial")
        try self.folder.remove(staging)
        try self.folder.createFolder(staging)
        // Whole milliseconds, so every offset is exact in milliseconds.
        let pieceMilliseconds = Int64((self.pieceSeconds(durationMilliseconds: durationMilliseconds) * 1000).rounded(.up))
        let pieceSamples = pieceMilliseconds * Int64(Self.sampleRate / 1000)
        let maxPieceBytes = Int64(self.maxPieceBytes)
        let written: [(piece: PreparedPiece, samples: Int64)]
        do {
            written = try await CodecStop.run(timeLimitSeconds: self.ffmpegTimeoutSeconds) { stop throws(AudioCodecError) in
                var pieces = PieceWriter(
                    folder: staging, sampleRate: Self.sampleRate, bitsPerSecond: Self.bitsPerSecond,
                    pieceSamples: pieceSamples, maxPieceBytes: maxPieceBytes, stop: stop)
                try AudioDecoder(sampleRate: Self.sampleRate).decode(fileAtPath: sourcePath, stop: stop) { samples throws(AudioCodecError) in
                    try pieces.write(samples)
                }
                return try pieces.finish()
            }
        } catch {
            // The API probed the upload already; if its audio still cannot be decoded, no retry will.
            if error.code == .undecodable { throw .invalidAudio("the audio cannot be decoded: \(error.message.suffix(500))") }
            if error.code == .outputTooLarge {
                throw .ffmpegFailed("prepare: a piece came out larger than \(self.maxPieceBytes) bytes")
            }
            throw .codec(error, during: "prepare")
        }
        var pieces: [PreparedPiece] = []
        for (piece, samples) in written {
            if Double(samples) / Double(Self.sampleRate) < Self.minPieceSeconds {
                try self.folder.remove("\(staging)/\(piece.fileName)")
                continue
            }
            pieces.append(piece)
        }
        guard !pieces.isEmpty else { throw .invalidAudio("the audio is too short to hold speech") }
        try self.folder.writeJSON(pieces, to: "\(staging)/pieces.json")
        try self.folder.remove(self.folder.preparedFolder)
        try self.folder.rename(staging, to: self.folder.preparedFolder)
        return pieces
    }
}
