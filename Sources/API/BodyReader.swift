import Foundation
import Hummingbird
import NIOCore

/// Small request bodies read whole: JSON for the account routes and checkout, the raw
/// bytes for Stripe's webhook.
enum BodyReader {
    /// The whole body, or 413 `payload_too_large` past the limit.
    static func collect(_ request: Request, limitBytes: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limitBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limitBytes: Int64(limitBytes))
        }
    }

    /// The body decoded as `type`, or 400 `invalid_request` naming the expected `shape`.
    static func json<T: Decodable>(_ type: T.Type, of request: Request, limitBytes: Int, shape: String) async throws -> T {
        let bytes = try await collect(request, limitBytes: limitBytes)
        guard let body = try? JSONDecoder().decode(T.self, from: Data(bytes.readableBytesView)) else {
            throw APIError.invalidRequest("the body must be JSON: \(shape)")
        }
        return body
    }
}
