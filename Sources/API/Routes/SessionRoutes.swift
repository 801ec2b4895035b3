import Billing
import Database
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /api/signup`, `POST /api/login`, `POST /api/logout` and `GET /api/me`: email
/// and password accounts with a server-side session (docs/ARCHITECTURE.md, "Accounts,
/// sessions and keys").
struct SessionRoutes: Sendable {
    let accounts: Accounts
    let configuration: SignInConfiguration
    let publicURL: String
    let passwords: PasswordHasher
    let logins: AttemptLimiter
    let signups: AttemptLimiter

    init(accounts: Accounts, configuration: APIConfiguration, clock: any WallClock) {
        self.accounts = accounts
        self.configuration = configuration.signIn
        self.publicURL = configuration.publicURL
        passwords = PasswordHasher(cost: configuration.signIn.bcryptCost)
        logins = AttemptLimiter(limit: configuration.signIn.loginAttemptsPerMinute, windowMilliseconds: 60_000, clock: clock)
        signups = AttemptLimiter(limit: configuration.signIn.signupsPerHour, windowMilliseconds: 3_600_000, clock: clock)
    }

    private var secureCookies: Bool { publicURL.lowercased().hasPrefix("https://") }

    private struct Credentials: Decodable {
        var email: String
        var password: String
    }

    func signup(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard SessionCookies.isSameOrigin(request, publicURL: publicURL) else { throw SessionCookies.foreignOrigin }
        guard configuration.signupOpen else {
            throw APIError(.forbidden, "signup_closed", "sign-up is closed on this server; ask the operator for an account")
        }
        let credentials = try await Self.credentials(of: request)
        let email = try Self.normalizedEmail(credentials.email)
        try Self.checkPassword(credentials.password)
        guard signups.allow(limitKeys(email: email, context: context)) else { throw tooManyAttempts(signups) }
        let hash = try await passwords.hash(credentials.password)
        let account = try await accounts.signUp(email: email, passwordHash: hash, signupCredits: configuration.signupCredits)
        context.logger.info("signed up", metadata: ["account": "\(account)"])
        return try await startSession(account: account, email: email, request: request, status: .created)
    }

    /// One answer for an unknown email and a wrong password, after the same bcrypt work.
    func login(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard SessionCookies.isSameOrigin(request, publicURL: publicURL) else { throw SessionCookies.foreignOrigin }
        let credentials = try await Self.credentials(of: request)
        // Lengths no sign-up accepts, refused before any work: an email the spec's limit
        // refuses, padded or not, and a password longer than bcrypt reads, which would
        // otherwise match its first 72 bytes.
        guard let email = Self.comparableEmail(credentials.email), credentials.password.utf8.count <= Self.maxPasswordBytes
        else { throw Self.invalidCredentials }
        guard logins.allow(limitKeys(email: email, context: context)) else { throw tooManyAttempts(logins) }
        let found = try await accounts.login(email: email)
        guard try await passwords.verify(credentials.password, hash: found?.passwordHash), let found else {
            throw Self.invalidCredentials
        }
        return try await startSession(account: found.account, email: email, request: request, status: .ok)
    }

    /// Ends the browser's session and clears its cookies; with a bearer key it does nothing.
    func logout(_ request: Request, context: AurisRequestContext) async throws -> Response {
        if let token = context.sessionToken { try await accounts.endSession(token: token) }
        var headers: HTTPFields = [:]
        if context.sessionToken != nil { SessionCookies.clear(secure: secureCookies, on: &headers) }
        return try JSONResponse.make(["ok": .bool(true)], headers: headers)
    }

    func me(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let email = try await accounts.email(of: account)
        let balance = try await accounts.balance(of: account)
        return try JSONResponse.make([
            "ok": .bool(true), "id": .integer(account.rawValue), "email": .optional(email),
            "credits": .integer(balance.available), "signed_in_with": .string(context.sessionToken == nil ? "api_key" : "session"),
        ])
    }

    /// A new session with new tokens; the one the browser came with is ended, so a token
    /// planted before sign-in is never signed in (no session fixation).
    private func startSession(account: AccountID, email: String, request: Request, status: HTTPResponse.Status) async throws -> Response {
        let started = try await accounts.startSession(
            for: account, lifetimeMilliseconds: configuration.sessionLifetimeSeconds * 1_000,
            replacing: request.cookies[SessionCookies.session]?.value)
        let balance = try await accounts.balance(of: account)
        var headers: HTTPFields = [:]
        SessionCookies.set(started, lifetimeSeconds: configuration.sessionLifetimeSeconds, secure: secureCookies, on: &headers)
        return try JSONResponse.make(
            status: status,
            [
                "ok": .bool(true), "id": .integer(account.rawValue), "email": .string(email),
                "credits": .integer(balance.available), "csrf_token": .string(started.csrfToken),
            ],
            headers: headers)
    }

    private func limitKeys(email: String, context: AurisRequestContext) -> [String] {
        ["email:" + email] + (context.clientAddress.map { ["ip:" + $0] } ?? [])
    }

    private func tooManyAttempts(_ limiter: AttemptLimiter) -> APIError {
        APIError(
            .tooManyRequests, "too_many_attempts", "too many attempts; wait a little and try again",
            details: ["retry_after_seconds": limiter.retryAfterSeconds], headers: [.retryAfter: "\(limiter.retryAfterSeconds)"])
    }

    private static func credentials(of request: Request) async throws -> Credentials {
        try await BodyReader.json(
            Credentials.self, of: request, limitBytes: 4_096, shape: #"{"email": "…", "password": "…"}"#)
    }

    /// The email as accounts store and compare it, trimmed and lower-case; nil when it is
    /// longer than 254 characters as sent or 254 bytes once trimmed. Sign-up and login
    /// share it, so an email one refuses as too long the other does too.
    static func comparableEmail(_ raw: String) -> String? {
        guard let email = raw.trimmed(maxLengthAsSent: 254)?.lowercased() else { return nil }
        return email.utf8.count <= 254 ? email : nil
    }

    /// `comparableEmail`, with one `@` with something on each side and a dot in the domain.
    static func normalizedEmail(_ raw: String) throws -> String {
        let invalid = APIError(.badRequest, "invalid_email", "this is not an email address")
        guard let email = comparableEmail(raw) else { throw invalid }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else { throw invalid }
        return email
    }

    /// What bcrypt reads of a password: a longer one would be cut in silence.
    static let maxPasswordBytes = 72

    /// At least 8 characters, at most `maxPasswordBytes`.
    static func checkPassword(_ password: String) throws {
        // Characters counted as Unicode scalars, as JSON Schema's minLength counts them.
        guard password.unicodeScalars.count >= 8, password.utf8.count <= maxPasswordBytes else {
            throw APIError(.badRequest, "invalid_password", "a password has 8 characters or more, and at most 72 bytes")
        }
    }

    static let invalidCredentials = APIError(.unauthorized, "invalid_credentials", "the email or the password is wrong")
}
