import HTTPTypes
import Hummingbird

/// The client's `Idempotency-Key`, validated the same way on every route that takes one:
/// 1 to 255 visible ASCII characters (Stripe's own limit, so a checkout key can be
/// passed on to Stripe as it is).
enum IdempotencyKeyHeader {
    static let name = HTTPField.Name("Idempotency-Key")!
    static let maxBytes = 255

    /// The key, nil when the request has none.
    /// - Throws: `APIError.invalidRequest` for an empty, overlong or non-ASCII key.
    static func value(of request: Request) throws(APIError) -> String? {
        guard let key = request.headers[name] else { return nil }
        guard (1...maxBytes).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw APIError.invalidRequest("Idempotency-Key must be 1 to \(maxBytes) visible ASCII characters")
        }
        return key
    }
}
