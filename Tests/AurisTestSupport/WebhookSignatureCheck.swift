import Crypto
import Foundation

/// Checks an `Auris-Signature` header the way a customer would, with nothing of Auris's
/// code: HMAC-SHA256 of "<t>.<body>" with the secret, compared with each `v1`.
/// - Returns: the timestamp and how many `v1` values match; nil for a malformed header.
public func webhookSignatureMatches(_ header: String?, body: String, secret: String) -> (timestamp: Int64, matches: Int)? {
    guard let header else { return nil }
    var timestamp: Int64?
    var signatures: [String] = []
    for part in header.split(separator: ",") {
        let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
        guard pair.count == 2 else { return nil }
        if pair[0] == "t" { timestamp = Int64(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
    }
    guard let timestamp else { return nil }
    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
    let expected = mac.map { String(format: "%02x", $0) }.joined()
    return (timestamp, signatures.filter { $0 == expected }.count)
}
