import Crypto

/// `Auris-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=…]`, one
/// `v1` per secret the endpoint signs with (two while a rotated-out secret still signs),
/// the scheme Stripe's webhooks use, so receivers can verify with code they know.
enum WebhookSigner {
    static func header(body: [UInt8], secrets: [String], timestampSeconds: Int64) -> String {
        let signed = Array("\(timestampSeconds).".utf8) + body
        let signatures = secrets.map { secret in
            let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
            return "v1=" + code.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        }
        return (["t=\(timestampSeconds)"] + signatures).joined(separator: ",")
    }
}
