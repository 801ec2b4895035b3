extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte: how digests and tokens are stored and
    /// compared. (`String(format: "%02x")` a byte at a time cost 4 % of an API call.)
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(self.underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
