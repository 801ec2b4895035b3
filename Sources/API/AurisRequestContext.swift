public import Billing
public import Hummingbird
import Logging

/// The request context of every route: Hummingbird's core, plus the account the API key
/// named (set by `AuthMiddleware` on authenticated routes).
public struct AurisRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var account: AccountID?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// JSON bodies of routes other than uploads are small.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The authenticated account; routes behind `AuthMiddleware` always have one.
    func requireAccount() throws -> AccountID {
        guard let account else { throw APIError.unauthorized() }
        return account
    }
}
