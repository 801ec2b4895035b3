import Crypto
import Foundation

/// Checks Stripe's `Stripe-Signature` header against the raw body of a webhook request:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]`, where each `v1` signs `"<t>.<body>"`
/// with an endpoint secret. While a secret is being rolled, Stripe sends one `v1` per
/// secret, so any match is enough. Other schemes (`v0`) are ignored.
///
/// ```swift
/// let verifier = WebhookSignature(secret: "whsec_…", toleranceSeconds: 300)
/// try verifier.verify(body: bytes, header: request.headers["Stripe-Signature"], nowSeconds: now)
/// ```
struct WebhookSignature: Sendable {
    /// Longer headers are refused before any parsing; Stripe's are about 200 bytes.
    static let maxHeaderBytes = 4_096
    /// More `v1` values than this are refused rather than each hashed and compared.
    static let maxSignatureCount = 8

    /// The secret's bytes; `SymmetricKey` is made per call because it is not `Sendable`.
    let secretBytes: [UInt8]
    let toleranceSeconds: Int64

    init(secret: String, toleranceSeconds: Int64) {
        precondition(toleranceSeconds > 0, "a tolerance is positive")
        self.secretBytes = Array(secret.utf8)
        self.toleranceSeconds = toleranceSeconds
    }

    /// - Throws: `PaymentsError` `.missingSignature`, `.invalidSignature` (malformed, or no
    ///   `v1` matches) or `.staleSignature` (a match whose timestamp is more than the
    ///   tolerance away from `nowSeconds`, in either direction).
    func verify(body: [UInt8], header: String?, nowSeconds: Int64) throws(PaymentsError) {
        guard let header, !header.isEmpty else {
            throw PaymentsError(.missingSignature, "the Stripe-Signature header is missing")
        }
        guard header.utf8.count <= Self.maxHeaderBytes else {
            throw PaymentsError(.invalidSignature, "the Stripe-Signature header is too long")
        }
        let (timestamp, signatures) = try Self.parse(header)
        let expected = Array(HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: secretBytes)))
        // Checked before the timestamp so that only a holder of the secret learns that a
        // signature was right but late.
        guard signatures.contains(where: { Self.constantTimeEqual($0, expected) }) else {
            throw PaymentsError(.invalidSignature, "no v1 signature matches the body")
        }
        guard abs(nowSeconds - timestamp) <= toleranceSeconds else {
            throw PaymentsError(.staleSignature, "the signature's timestamp is more than \(toleranceSeconds) s from now")
        }
    }

    /// The timestamp and the decoded `v1` signatures; malformed `v1` values are dropped
    /// (they can match nothing), a missing or repeated `t` is an error.
    static func parse(_ header: String) throws(PaymentsError) -> (timestamp: Int64, signatures: [[UInt8]]) {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        var timestampCount = 0
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingSpaces, value = pair[1].trimmingSpaces
            switch key {
            case "t":
                timestampCount += 1
                if value.utf8.count <= 12, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { timestamp = Int64(value) }
            case "v1":
                guard signatures.count < maxSignatureCount else {
                    throw PaymentsError(.invalidSignature, "the Stripe-Signature header has too many signatures")
                }
                if let bytes = hexBytes(value), bytes.count == SHA256.byteCount { signatures.append(bytes) }
            default:
                continue
            }
        }
        guard timestampCount == 1, let timestamp else {
            throw PaymentsError(.invalidSignature, "the Stripe-Signature header has no single valid timestamp")
        }
        guard !signatures.isEmpty else {
            throw PaymentsError(.invalidSignature, "the Stripe-Signature header has no v1 signature")
        }
        return (timestamp, signatures)
    }

    /// Compares every byte whatever the first difference, so the time taken does not tell
    /// an attacker how much of a forged signature was right.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
