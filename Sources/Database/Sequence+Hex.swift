extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte: how digests and tokens are stored and
    /// compared. (`String(format: "%02x")` a byte at a time cost 4 % of an API call.)
    /// Inlinable so each caller gets it specialized to its own sequence: generic, it
    /// walked the digest through protocol witnesses (5 % of a key lookup).
    @inlinable
    public var hexString: String {
        var text: [UInt8] = []
        text.reserveCapacity(self.underestimatedCount * 2)
        for byte in self {
            let high = byte >> 4, low = byte & 0x0F
            // "0"–"9" are 48–57, "a"–"f" 97–102.
            text.append(high < 10 ? 48 + high : 87 + high)
            text.append(low < 10 ? 48 + low : 87 + low)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
