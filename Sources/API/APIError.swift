public import HTTPTypes
public import Hummingbird
import Foundation

/// An error the API answers with: a status and the one JSON shape clients rely on,
/// `{"ok": false, "error": {"code": "...", "message": "...", ...details}}`.
///
/// Codes are stable; messages are for people and may change.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Numbers a client acts on (`required`, `available`), placed beside code and message.
    public let details: [String: Int64]
    let headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: Int64] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        for (key, value) in details { body[key] = .integer(value) }
        return try JSONResponse.make(status: status, ["ok": .bool(false), "error": .object(body)], headers: headers)
    }

    static func unauthorized() -> APIError {
        APIError(.unauthorized, "unauthorized", "sign in, or send a valid API key: Authorization: Bearer <key>",
                 headers: [.wwwAuthenticate: "Bearer"])
    }
    static func invalidRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    static func notFound(_ message: String = "no such resource") -> APIError { APIError(.notFound, "not_found", message) }
    static func insufficientCredits(required: Int64, available: Int64) -> APIError {
        APIError(HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), "insufficient_credits",
                 "this job needs \(required) credits and the account has \(available) available",
                 details: ["required": required, "available": available])
    }
    static func payloadTooLarge(limitBytes: Int64) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the upload is larger than the limit of \(limitBytes) bytes",
                 details: ["limit_bytes": limitBytes])
    }
    static func unsupportedMedia(_ message: String) -> APIError { APIError(.unsupportedMediaType, "unsupported_media", message) }
    static func invalidAudio(_ message: String) -> APIError { APIError(.unprocessableContent, "invalid_audio", message) }
    static func engineUnsupported(_ message: String) -> APIError { APIError(.unprocessableContent, "engine_unsupported", message) }
    static func idempotencyConflict(_ message: String) -> APIError { APIError(.unprocessableContent, "idempotency_conflict", message) }
    static func tooManyJobs(limit: Int) -> APIError {
        APIError(.tooManyRequests, "too_many_jobs", "the account already has \(limit) jobs waiting; wait for some to finish",
                 details: ["limit": Int64(limit)], headers: [.retryAfter: "10"])
    }
    static func tooManyUploads(limit: Int) -> APIError {
        APIError(.tooManyRequests, "too_many_uploads", "the account already has \(limit) uploads in progress; wait for one to finish",
                 details: ["limit": Int64(limit)], headers: [.retryAfter: "5"])
    }
    static func tooManyStreams(limit: Int) -> APIError {
        APIError(.tooManyRequests, "too_many_streams", "the account already has \(limit) event streams open; close one first",
                 details: ["limit": Int64(limit)], headers: [.retryAfter: "5"])
    }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code, message) }
    static func internalError() -> APIError {
        APIError(.internalServerError, "internal_error", "something went wrong on our side; nothing was charged for it")
    }
    static func unavailable(_ message: String) -> APIError { APIError(.serviceUnavailable, "unavailable", message) }
    /// The media store refused or could not take an upload, or give a result back.
    static func mediaStoreUnavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, "media_store_unavailable", message)
    }
}
