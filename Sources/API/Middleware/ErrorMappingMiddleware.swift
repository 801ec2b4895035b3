import HTTPTypes
import Hummingbird
import Logging

/// Answers every error in the one JSON shape: the modules' errors through
/// `APIError(domain:)`, Hummingbird's own `HTTPError`s (unknown route, wrong method) as
/// their JSON equivalents; anything unexpected is logged and becomes a 500
/// `internal_error` that tells the client nothing internal.
struct ErrorMappingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError.notFound("no route \(request.method) \(request.uri.path)")
            case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed here")
            case .contentTooLarge: throw APIError(.contentTooLarge, "payload_too_large", "the request body is too large")
            default:
                throw APIError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        } catch is DecodingError {
            throw APIError.invalidRequest("the JSON body does not have the expected fields")
        } catch {
            if let answer = APIError(domain: error) { throw answer }
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError.internalError()
        }
    }
}
