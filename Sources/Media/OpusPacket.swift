/// The length of an Opus packet, read from its table-of-contents byte (RFC 6716, 3.1).
///
/// Demuxers do not always say it right: libavformat's Matroska path scales the Opus
/// parser's 48 kHz sample count by the rate the container states, so a WebM of 8 kHz
/// Opus had every packet six times too long. The TOC says the length in the packet itself.
enum OpusPacket {
    /// The most one packet holds: 120 ms.
    static let maxSamples = 5_760

    /// The packet's samples at 48 kHz, or nil when its bytes are not a valid Opus packet.
    static func samples(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let toc = bytes.first else { return nil }
        let config = Int(toc >> 3)
        let frameSamples: Int =
            switch config {
            // SILK only: 10, 20, 40, 60 ms.
            case 0..<12: [480, 960, 1_920, 2_880][config % 4]
            // Hybrid: 10, 20 ms.
            case 12..<16: [480, 960][config % 2]
            // CELT only: 2.5, 5, 10, 20 ms.
            default: [120, 240, 480, 960][config % 4]
            }
        let frames: Int
        switch toc & 3 {
        case 0: frames = 1
        case 1, 2: frames = 2
        default:
            guard bytes.count >= 2 else { return nil }
            frames = Int(bytes[1] & 0x3F)
        }
        let samples = frames * frameSamples
        return samples > 0 && samples <= maxSamples ? samples : nil
    }
}
