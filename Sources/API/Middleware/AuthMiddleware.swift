import Billing
import Foundation
import Logging
import HTTPTypes
import Hummingbird

/// Sets the request's account from `Authorization: Bearer <api key>` or, without one,
/// from the `auris_session` cookie, or answers 401.
///
/// A cookie is sent by the browser on its own, so a cookie-authenticated state change
/// (any method but GET, HEAD and OPTIONS) must also come from our own origin and echo
/// the session's CSRF token in `X-CSRF-Token`; else 403. A bearer key is never sent
/// on its own, and needs neither.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AurisRequestContext
    let accounts: Accounts
    /// Where browsers reach us: the one origin (besides the `Host` asked for) whose
    /// cookie-authenticated state changes are accepted.
    var publicURL = APIConfiguration(dataDirectory: "").publicURL

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            context.account = try await account(bearer: header)
        } else if let token = request.cookies[SessionCookies.session]?.value, !token.isEmpty {
            guard let session = try await accounts.session(token: token) else { throw APIError.unauthorized() }
            if ![.get, .head, .options].contains(request.method) {
                guard SessionCookies.isSameOrigin(request, publicURL: publicURL) else { throw SessionCookies.foreignOrigin }
                let echoed = request.headers[SessionCookies.csrfHeader] ?? ""
                guard echoed == request.cookies[SessionCookies.csrf]?.value, session.accepts(csrfToken: echoed) else {
                    throw SessionCookies.csrfRefused
                }
            }
            context.account = session.account
            context.sessionToken = token
        } else {
            throw APIError.unauthorized()
        }
        context.logger[metadataKey: "account"] = "\(context.account.map(\.description) ?? "")"
        return try await next(request, context)
    }

    private func account(bearer header: String) async throws -> AccountID {
        guard header.count <= 256 else { throw APIError.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized() }
        // Trimmed in place: Foundation's `trimmingCharacters` cost 3 % of a status poll.
        var key = parts[1]
        while key.first?.isWhitespace == true { key.removeFirst() }
        while key.last?.isWhitespace == true { key.removeLast() }
        guard let account = try await accounts.authenticate(apiKey: String(key)) else { throw APIError.unauthorized() }
        return account
    }
}
