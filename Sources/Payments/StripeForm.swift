/// A request body in Stripe's form encoding: `application/x-www-form-urlencoded`, with
/// nested fields named by brackets (`line_items[0][price_data][unit_amount]=1500`).
///
/// Fields keep the order they were added in, so the same request always encodes to the
/// same bytes (Stripe compares an idempotent retry's parameters with the first's).
///
/// ```swift
/// var form = StripeForm()
/// form.append("mode", "payment")
/// form.append("line_items[0][quantity]", "1")
/// form.encoded  // "mode=payment&line_items[0][quantity]=1"
/// ```
struct StripeForm: Sendable, Equatable {
    private(set) var fields: [(name: String, value: String)] = []

    mutating func append(_ name: String, _ value: String) {
        precondition(!name.isEmpty, "a form field has a name")
        fields.append((name, value))
    }

    /// The body: names and values percent-encoded (RFC 3986 unreserved characters kept),
    /// the brackets of names kept as they are, which is how Stripe's own libraries send them.
    var encoded: String {
        fields.map { Self.escape($0.name, keeping: Self.bracket) + "=" + Self.escape($0.value, keeping: []) }
            .joined(separator: "&")
    }

    static func == (lhs: StripeForm, rhs: StripeForm) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    private static let bracket: Set<UInt8> = [UInt8(ascii: "["), UInt8(ascii: "]")]
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` (and `extra`); a
    /// space becomes `%20`, which form decoders read the same as `+`.
    static func escape(_ text: String, keeping extra: Set<UInt8>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || extra.contains(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
