import Crypto
import Foundation

/// The parts of AWS Signature Version 4 shared by header signing (``SigV4Signer``) and
/// query-string presigning (``SigV4Presigner``), written to AWS's rules for S3: each path
/// segment URI-encoded once (S3 does not normalise paths), query sorted by encoded name,
/// header names lowercased and sorted, values trimmed with inner spaces collapsed.
enum SigV4 {
    static let algorithm = "AWS4-HMAC-SHA256"
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// `X-Amz-Date` and the credential scope's date, from one instant.
    struct Timestamp: Sendable {
        /// `20150830T123600Z`
        let amzDate: String
        /// `20150830`
        let dateStamp: String

        init(_ date: Date) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            func pad(_ value: Int?, _ width: Int) -> String {
                let text = String(value ?? 0)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            dateStamp = pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2)
            amzDate = dateStamp + "T" + pad(parts.hour, 2) + pad(parts.minute, 2) + pad(parts.second, 2) + "Z"
        }
    }

    /// AWS's URI encoding: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`, uppercase.
    static func uriEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// The path as sent and as signed: `/` + encoded segments joined by `/`.
    static func encodedPath(_ segments: [String]) -> String {
        "/" + segments.map(uriEncode).joined(separator: "/")
    }

    static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = items.map { (uriEncode($0.name), uriEncode($0.value)) }
        let sorted = encoded.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// The canonical header block (each `name:value\n`) and the `SignedHeaders` list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (block: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    static func credentialScope(_ timestamp: Timestamp, region: String, service: String) -> String {
        "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The hex signature of `canonicalRequest` under the key derived from `secret`.
    static func signature(
        canonicalRequest: String, timestamp: Timestamp, region: String, service: String, secret: String
    ) -> String {
        let stringToSign = [
            algorithm, timestamp.amzDate, credentialScope(timestamp, region: region, service: service),
            sha256Hex(Data(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in [timestamp.dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Data(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key)).hexString
    }

    static func canonicalRequest(
        method: String, encodedPath: String, query: String, headers: (block: String, signed: String), payloadHash: String
    ) -> String {
        [method, encodedPath, query, headers.block, headers.signed, payloadHash].joined(separator: "\n")
    }

    static func sha256Hex(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).hexString
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
