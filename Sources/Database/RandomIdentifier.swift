/// Identifiers that sort by creation time and cannot be guessed: a prefix, 48 bits of
/// milliseconds and 80 random bits in Crockford's base 32 (a ULID).
///
/// ```swift
/// RandomIdentifier.make(prefix: "dub", nowMilliseconds: 1_764_000_000_000) // "dub_01KB…"
/// ```
public enum RandomIdentifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(prefix: String, nowMilliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix: prefix, nowMilliseconds: nowMilliseconds, using: &generator)
    }

    public static func make(
        prefix: String,
        nowMilliseconds: Int64,
        using generator: inout some RandomNumberGenerator
    ) -> String {
        precondition(nowMilliseconds >= 0, "time before 1970")
        var characters: [UInt8] = []
        characters.reserveCapacity(26)
        let time = UInt64(nowMilliseconds) & 0xFFFF_FFFF_FFFF
        for shift in stride(from: 45, through: 0, by: -5) {
            characters.append(alphabet[Int((time >> UInt64(shift)) & 31)])
        }
        // 80 random bits: 64 from one draw and 16 from another, five bits a character.
        var bits = generator.next()
        for index in 0..<16 {
            if index == 12 { bits = generator.next() }
            characters.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return prefix + "_" + String(decoding: characters, as: UTF8.self)
    }
}
