public import Billing
public import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core, plus the account the API key
/// or session named (set by `AuthMiddleware` on authenticated routes).
public struct AurisRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var account: AccountID?
    /// The `auris_session` token the account was found by; nil for a bearer key.
    var sessionToken: String?
    /// The client's IP address, for the sign-in and sign-up rate limits; nil in tests
    /// that run without a socket.
    let clientAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// JSON bodies of routes other than uploads are small.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The authenticated account; routes behind `AuthMiddleware` always have one.
    func requireAccount() throws -> AccountID {
        guard let account else { throw APIError.unauthorized() }
        return account
    }
}
