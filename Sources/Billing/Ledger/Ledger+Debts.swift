import Database

/// Taking back a purchase that was refunded or disputed, and what the user owes when
/// those credits were already spent (docs/ARCHITECTURE.md, "The ledger").
///
/// Credits still available go back to `purchases` at once; the rest is recorded as a
/// debt, and `hold` refuses every new job while a debt is outstanding. A later purchase
/// repays it (`repayDebt`), or an operator forgives it (`forgiveDebt`).
extension Ledger {
    /// What `reverse` did: credits taken back now, and credits now owed.
    public struct Reversal: Sendable, Equatable {
        public var takenBack: Int64
        public var owed: Int64
    }

    /// Why a purchase is reversed.
    public enum ReversalReason: String, Sendable {
        case refund, dispute

        var movement: MovementReason { self == .refund ? .refund : .dispute }
    }

    /// Takes `credits` back from `account`: what is available now, the rest as a debt.
    ///
    /// Idempotent by `id`: a second call with the same id moves nothing and returns zeros.
    @discardableResult
    public func reverse(
        id: String, account: AccountID, credits: Int64, reason: ReversalReason, reference: String?, at nowMilliseconds: Int64
    ) throws -> Reversal {
        precondition(credits > 0, "a reversal takes back a positive amount")
        guard try transfer(id) == nil, try debtEntryExists(id) == false else { return Reversal(takenBack: 0, owed: 0) }
        let takenBack = min(credits, try balance(of: account).available)
        if takenBack > 0 {
            try insertTransfer(
                id: id, debit: account, credit: .purchases, amount: takenBack, phase: "single", pendingID: nil,
                reason: reason.movement, note: nil, reference: reference, at: nowMilliseconds)
            try move(account: account, debitsPosted: takenBack)
            try move(account: .purchases, creditsPosted: takenBack)
        }
        let owed = credits - takenBack
        if owed > 0 {
            try insertDebt(id: id, account: account, credits: owed, reason: reason.rawValue, reference: reference, at: nowMilliseconds)
        }
        return Reversal(takenBack: takenBack, owed: owed)
    }

    /// The credits `account` owes; zero when it owes nothing.
    public func debt(of account: AccountID) throws -> Int64 {
        try db.queryFirst("SELECT coalesce(sum(credits), 0) AS owed FROM ledger_debts WHERE account_id = ?", account.rawValue) {
            row in row["owed"] as Int64
        } ?? 0
    }

    /// Pays what `account` owes from its available credits, as far as they go.
    /// - Returns: the credits repaid.
    @discardableResult
    public func repayDebt(of account: AccountID, reference: String?, at nowMilliseconds: Int64) throws -> Int64 {
        let balance = try balance(of: account)
        guard balance.debt > 0 else { return 0 }
        let repaid = min(balance.debt, balance.available)
        guard repaid > 0 else { return 0 }
        let id = "repay:\(account.rawValue):\(RandomIdentifier.make(prefix: "debt", nowMilliseconds: nowMilliseconds))"
        try insertTransfer(
            id: id, debit: account, credit: .purchases, amount: repaid, phase: "single", pendingID: nil,
            reason: .debtRepayment, note: nil, reference: reference, at: nowMilliseconds)
        try move(account: account, debitsPosted: repaid)
        try move(account: .purchases, creditsPosted: repaid)
        try insertDebt(id: id, account: account, credits: -repaid, reason: "repaid", reference: reference, at: nowMilliseconds)
        return repaid
    }

    /// Forgives everything `account` owes (an operator's decision; no credits move).
    /// - Returns: the credits forgiven.
    @discardableResult
    public func forgiveDebt(of account: AccountID, note: String?, at nowMilliseconds: Int64) throws -> Int64 {
        let owed = try debt(of: account)
        guard owed > 0 else { return 0 }
        try insertDebt(
            id: RandomIdentifier.make(prefix: "forgive", nowMilliseconds: nowMilliseconds), account: account, credits: -owed,
            reason: "forgiven", reference: note, at: nowMilliseconds)
        return owed
    }

    private func debtEntryExists(_ id: String) throws -> Bool {
        try db.queryFirst("SELECT 1 AS found FROM ledger_debts WHERE id = ?", id) { _ in true } ?? false
    }

    private func insertDebt(
        id: String, account: AccountID, credits: Int64, reason: String, reference: String?, at nowMilliseconds: Int64
    ) throws {
        try db.execute(
            "INSERT INTO ledger_debts (id, account_id, credits, reason, reference, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
            id, account.rawValue, credits, reason, reference, nowMilliseconds)
    }
}
