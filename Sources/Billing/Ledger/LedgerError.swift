/// Why the ledger refused a movement.
public struct LedgerError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: Equatable, Sendable {
        case insufficientCredits(required: Int64, available: Int64)
        case unknownAccount(AccountID)
        case unknownTransfer(String)
        case transferIDReused(String)
        case notPending(String)
        case accountInDebt(credits: Int64)
    }

    private let code: Code

    /// The account has fewer available credits than the movement needs.
    public static func insufficientCredits(required: Int64, available: Int64) -> LedgerError {
        LedgerError(code: .insufficientCredits(required: required, available: available))
    }
    /// No user account has this id.
    public static func unknownAccount(_ id: AccountID) -> LedgerError { LedgerError(code: .unknownAccount(id)) }
    static func unknownTransfer(_ id: String) -> LedgerError { LedgerError(code: .unknownTransfer(id)) }
    static func transferIDReused(_ id: String) -> LedgerError { LedgerError(code: .transferIDReused(id)) }
    static func notPending(_ id: String) -> LedgerError { LedgerError(code: .notPending(id)) }

    /// `(required, available)` when the refusal was for want of credits.
    public var shortfall: (required: Int64, available: Int64)? {
        if case .insufficientCredits(let required, let available) = code { return (required, available) }
        return nil
    }

    /// The account owes credits (a refunded or disputed purchase it had spent) and may
    /// start no job until the debt is repaid or forgiven.
    public static func accountInDebt(credits: Int64) -> LedgerError { LedgerError(code: .accountInDebt(credits: credits)) }

    /// The credits owed, when the refusal was for an unpaid debt.
    public var debtCredits: Int64? {
        if case .accountInDebt(let credits) = code { return credits }
        return nil
    }

    /// Whether the account named does not exist.
    public var isUnknownAccount: Bool {
        if case .unknownAccount = code { return true }
        return false
    }

    public var description: String {
        switch code {
        case .insufficientCredits(let required, let available):
            "insufficient credits: \(required) required, \(available) available"
        case .unknownAccount(let id): "no ledger account \(id)"
        case .unknownTransfer(let id): "no transfer \(id)"
        case .transferIDReused(let id): "transfer id \(id) already names a different transfer"
        case .notPending(let id): "transfer \(id) is not a pending transfer"
        case .accountInDebt(let credits): "the account owes \(credits) credits"
        }
    }
}
