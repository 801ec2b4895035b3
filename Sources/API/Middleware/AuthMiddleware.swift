import Billing
import Foundation
import Logging
import HTTPTypes
import Hummingbird

/// Sets the request's account from `Authorization: Bearer <api key>`, or answers 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AurisRequestContext
    let accounts: Accounts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count <= 256 else { throw APIError.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized() }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        guard let account = try await accounts.authenticate(apiKey: key) else { throw APIError.unauthorized() }
        var context = context
        context.account = account
        context.logger[metadataKey: "account"] = "\(account)"
        return try await next(request, context)
    }
}
