/// Why a media store call failed.
///
/// `code` is stable (`not_found`, `access_denied`, `unavailable`, …) so callers branch on
/// it, never on `message`. Messages never hold a secret key.
public struct MediaStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: String, Sendable {
        case invalidKey = "invalid_key"
        case invalidConfiguration = "invalid_configuration"
        case notFound = "not_found"
        case accessDenied = "access_denied"
        case refused
        case unavailable
        case timeout
        case badAnswer = "bad_answer"
        case integrity
        case fileError = "file_error"
    }

    private let kind: Code
    /// What happened, in words.
    public let message: String
    /// The error `Code` from the store's answer (S3's XML error body), when it sent one.
    public let storeCode: String?

    private init(_ kind: Code, _ message: String, storeCode: String? = nil) {
        self.kind = kind
        self.message = message
        self.storeCode = storeCode
    }

    /// The stable machine-readable code, e.g. `"not_found"`.
    public var code: String { kind.rawValue }

    public var description: String { "\(code): \(message)" }

    /// Worth another attempt: the store was unreachable, slow or overloaded.
    public var isTransient: Bool { kind == .unavailable || kind == .timeout }

    static func invalidKey(_ key: String, _ reason: String) -> MediaStoreError {
        MediaStoreError(.invalidKey, "the media key \(key.debugDescription) is refused: \(reason)")
    }

    static func invalidConfiguration(_ message: String) -> MediaStoreError {
        MediaStoreError(.invalidConfiguration, message)
    }

    /// There is no object under the key.
    static func notFound(_ key: MediaKey, storeCode: String? = nil) -> MediaStoreError {
        MediaStoreError(.notFound, "no object under \(key)", storeCode: storeCode)
    }

    /// The store refused the credentials or the signature (HTTP 403).
    static func accessDenied(_ message: String, storeCode: String?) -> MediaStoreError {
        MediaStoreError(.accessDenied, message, storeCode: storeCode)
    }

    /// Any other refusal of the request itself (4xx): retrying would not help.
    static func refused(_ message: String, storeCode: String?) -> MediaStoreError {
        MediaStoreError(.refused, message, storeCode: storeCode)
    }

    /// The store could not be reached, broke the connection, or answered 5xx / SlowDown.
    static func unavailable(_ message: String, storeCode: String? = nil) -> MediaStoreError {
        MediaStoreError(.unavailable, message, storeCode: storeCode)
    }

    static func timeout(seconds: Double) -> MediaStoreError {
        MediaStoreError(.timeout, "the store did not finish answering within \(seconds) s")
    }

    /// An answer that is not what the protocol promises (a redirect, a wrong length).
    static func badAnswer(_ message: String) -> MediaStoreError {
        MediaStoreError(.badAnswer, message)
    }

    /// The bytes do not match the SHA-256 or size they were declared with.
    static func integrity(_ message: String, storeCode: String? = nil) -> MediaStoreError {
        MediaStoreError(.integrity, message, storeCode: storeCode)
    }

    /// A local file could not be read, written or renamed.
    static func fileError(_ message: String) -> MediaStoreError {
        MediaStoreError(.fileError, message)
    }
}
