import Foundation
import Media

/// One piece of the source prepared for speech-to-text.
struct PreparedPiece: Codable, Sendable, Equatable {
    /// File name inside `prepared/`.
    var fileName: String
    /// Where the piece starts in the source; added to the piece's segment times.
    var offsetMilliseconds: Int64
}

/// Step 1: ffmpeg turns the upload into mono 16 kHz MP3 pieces, each under the
/// provider's upload limit. Speech-to-text needs no more than 16 kHz mono, and at
/// 64 kbit/s a piece holds about 50 minutes, so most uploads are one piece.
struct PrepareStage: Sendable {
    static let bitsPerSecond = 64_000

    let folder: WorkFolder
    let maxPieceBytes: Int
    let ffmpegTimeoutSeconds: Double

    /// Pieces shorter than this are dropped: they hold no speech worth dubbing (they are
    /// the encoder's padding at the end) and the provider refuses audio under 0.1 s.
    static let minPieceSeconds = 0.2

    /// Seconds per piece: as equal as possible, each under `maxPieceBytes` with a tenth
    /// spare (frame headers, and cuts fall on the first frame after the mark), and half
    /// a second longer than an exact share so the encoder's padding cannot spill into a
    /// tiny extra piece.
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
        do {
            _ = try await FFmpegCommand.ffmpeg([
                "-i", sourcePath,
                "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000",
                "-c:a", "libmp3lame", "-b:a", "\(Self.bitsPerSecond / 1000)k",
                "-f", "segment", "-segment_time", String(format: "%.3f", self.pieceSeconds(durationMilliseconds: durationMilliseconds)),
                "-reset_timestamps", "1",
                "-segment_list", "\(staging)/pieces.csv", "-segment_list_type", "csv",
                "\(staging)/piece%03d.mp3",
            ], timeoutSeconds: self.ffmpegTimeoutSeconds).run()
        } catch {
            if error.standardErrorTail.contains("No space left on device") {
                throw .storageFailed("prepare: \(error)")
            }
            // The API probed the upload already; if ffmpeg still cannot read its audio, no retry will.
            if error.code == .failed { throw .invalidAudio("the audio cannot be decoded: \(error.standardErrorTail.suffix(500))") }
            throw .ffmpeg(error, during: "prepare")
        }
        let pieces = try self.readPieceList(staging)
        try self.folder.writeJSON(pieces, to: "\(staging)/pieces.json")
        try self.folder.remove(self.folder.preparedFolder)
        try self.folder.rename(staging, to: self.folder.preparedFolder)
        return pieces
    }

    /// ffmpeg's segment list: `piece000.mp3,0.000000,3.004000` per line.
    private func readPieceList(_ staging: String) throws(DubbingError) -> [PreparedPiece] {
        let list = String(decoding: try self.folder.readBytes("\(staging)/pieces.csv"), as: UTF8.self)
        var pieces: [PreparedPiece] = []
        for line in list.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",")
            guard fields.count >= 3, let startSeconds = Double(fields[1]), let endSeconds = Double(fields[2]),
                  startSeconds >= 0, endSeconds >= startSeconds
            else {
                throw .ffmpegFailed("prepare: unreadable segment list line `\(line)`")
            }
            if endSeconds - startSeconds < Self.minPieceSeconds { continue }
            let fileName = String(fields[0])
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(staging)/\(fileName)")[.size] as? Int) ?? nil
            guard let size, size <= self.maxPieceBytes else {
                throw .ffmpegFailed("prepare: piece \(fileName) is missing or larger than \(self.maxPieceBytes) bytes")
            }
            pieces.append(PreparedPiece(fileName: fileName, offsetMilliseconds: Int64((startSeconds * 1000).rounded())))
        }
        guard !pieces.isEmpty else { throw .invalidAudio("the audio is too short to hold speech") }
        return pieces
    }
}
