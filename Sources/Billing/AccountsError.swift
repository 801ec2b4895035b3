/// Why an account operation was refused.
public struct AccountsError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: Equatable, Sendable {
        case emailTaken
        case tooManyKeys(limit: Int)
    }

    private let code: Code

    static let emailTaken = AccountsError(code: .emailTaken)
    static func tooManyKeys(limit: Int) -> AccountsError { AccountsError(code: .tooManyKeys(limit: limit)) }

    /// Another account already signs in with this email.
    public var isEmailTaken: Bool { code == .emailTaken }

    /// The most live keys an account may have, when the refusal was for one more.
    public var keysLimit: Int? {
        if case .tooManyKeys(let limit) = code { return limit }
        return nil
    }

    public var description: String {
        switch code {
        case .emailTaken: "an account already signs in with this email"
        case .tooManyKeys(let limit): "the account already has \(limit) API keys"
        }
    }
}
