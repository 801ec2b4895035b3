import Media

/// Cuts the prepared samples into MP3 pieces of `pieceSamples` each (the last one
/// shorter), encoding each into the staging folder as it arrives: one pass over the
/// source, nothing held in memory but a frame.
///
/// Cuts fall on exact samples, so a piece's offset in the source is exact too.
struct PieceWriter {
    let folder: String
    let sampleRate: Int
    let bitsPerSecond: Int
    let pieceSamples: Int64
    let maxPieceBytes: Int64
    let stop: CodecStop

    private var encoder: MP3Encoder?
    private var pieces: [(piece: PreparedPiece, samples: Int64)] = []
    private var samplesSeen: Int64 = 0

    init(folder: String, sampleRate: Int, bitsPerSecond: Int, pieceSamples: Int64, maxPieceBytes: Int64, stop: CodecStop) {
        precondition(pieceSamples > 0, "a piece holds samples")
        self.folder = folder
        self.sampleRate = sampleRate
        self.bitsPerSecond = bitsPerSecond
        self.pieceSamples = pieceSamples
        self.maxPieceBytes = maxPieceBytes
        self.stop = stop
    }

    /// LAME's fast mode: only a speech model hears the pieces, and it cost a third less
    /// CPU than LAME's default (0.6 s against 1.0 s for 5 minutes of noise at 16 kHz).
    static let quality = 7

    static func fileName(_ index: Int) -> String {
        "piece\(WorkFolder.padded(index, width: 3)).mp3"
    }

    mutating func write(_ samples: UnsafeBufferPointer<Int16>) throws(AudioCodecError) {
        var offset = 0
        while offset < samples.count {
            let room = pieceSamples - samplesSeen % pieceSamples
            if samplesSeen % pieceSamples == 0 { try startPiece() }
            let count = Int(min(room, Int64(samples.count - offset)))
            try encoder!.write(UnsafeBufferPointer(rebasing: samples[offset..<(offset + count)]))
            pieces[pieces.count - 1].samples += Int64(count)
            samplesSeen += Int64(count)
            offset += count
            if samplesSeen % pieceSamples == 0 { try finishPiece() }
        }
    }

    /// Finishes the last piece; returns every piece with how many samples it holds.
    mutating func finish() throws(AudioCodecError) -> [(piece: PreparedPiece, samples: Int64)] {
        try finishPiece()
        return pieces
    }

    private mutating func startPiece() throws(AudioCodecError) {
        let fileName = Self.fileName(pieces.count)
        encoder = try MP3Encoder(
            path: "\(folder)/\(fileName)", sampleRate: sampleRate, bitsPerSecond: bitsPerSecond, maxBytes: maxPieceBytes,
            quality: Self.quality, stop: stop)
        // Exact when pieces are whole milliseconds long, as `PrepareStage` makes them.
        let offsetMilliseconds = samplesSeen * 1000 / Int64(sampleRate)
        pieces.append((PreparedPiece(fileName: fileName, offsetMilliseconds: offsetMilliseconds), 0))
    }

    private mutating func finishPiece() throws(AudioCodecError) {
        guard let encoder else { return }
        self.encoder = nil
        try encoder.finish()
    }
}
