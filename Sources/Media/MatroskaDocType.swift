/// The DocType of a Matroska file (`"webm"` or `"matroska"`), read from its EBML header:
/// libavformat reads the same files with one demuxer and does not say which it was, and
/// a WebM upload's result must stay WebM.
///
/// The header is the file's first element (ID `1A 45 DF A3`); DocType is its child
/// `42 82`, a string. Sizes are EBML variable-length integers.
enum MatroskaDocType {
    /// Enough for every header a muxer writes (a few dozen bytes).
    static let headBytes = 256

    static func read(from source: FileSource) -> String? {
        parse(source.head(maxBytes: headBytes))
    }

    static func parse(_ bytes: [UInt8]) -> String? {
        var reader = Reader(bytes: bytes)
        guard reader.elementID() == 0x1A45_DFA3, let headerSize = reader.size() else { return nil }
        let end = min(bytes.count, reader.offset + headerSize)
        while reader.offset < end {
            guard let id = reader.elementID(), let size = reader.size(), reader.offset + size <= end else { return nil }
            if id == 0x4282 {
                let text = bytes[reader.offset..<reader.offset + size].prefix { $0 != 0 }
                return String(decoding: text, as: UTF8.self)
            }
            reader.offset += size
        }
        return nil
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        /// An element ID keeps its length marker bits: `1A 45 DF A3` is 0x1A45DFA3.
        mutating func elementID() -> Int? {
            let start = offset
            guard vint(maxLength: 4) != nil else { return nil }
            return bytes[start..<offset].reduce(0) { $0 << 8 | Int($1) }
        }

        /// A size drops its marker bits; an all-ones size ("unknown") is refused.
        mutating func size() -> Int? {
            guard let (value, length) = vint(maxLength: 8), value != (1 << (7 * length)) - 1 else { return nil }
            return value
        }

        private mutating func vint(maxLength: Int) -> (Int, Int)? {
            guard offset < bytes.count, bytes[offset] != 0 else { return nil }
            let length = bytes[offset].leadingZeroBitCount + 1
            guard length <= maxLength, offset + length <= bytes.count else { return nil }
            var value = Int(bytes[offset]) & (0xFF >> length)
            for byte in bytes[offset + 1..<offset + length] { value = value << 8 | Int(byte) }
            offset += length
            return (value, length)
        }
    }
}
