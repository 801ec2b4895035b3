import HTTPTypes
import Hummingbird

/// CORS for a fixed list of origins (`AURIS_CORS_ORIGINS`); none by default. A request
/// from any other origin gets no CORS headers, so browsers refuse to read its answer.
struct CORSOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = corsHeaders(origin: origin)
            headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in corsHeaders(origin: origin) { response.headers[field.name] = field.value }
        return response
    }

    private func corsHeaders(origin: String) -> HTTPFields {
        [
            .accessControlAllowOrigin: origin,
            .vary: "Origin",
            .accessControlExposeHeaders: "Retry-After, Content-Disposition",
        ]
    }
}
