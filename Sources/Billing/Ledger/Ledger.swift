public import Database

/// The credit ledger inside one write transaction: double-entry, immutable transfers,
/// and two-phase holds (pending → posted or voided, each at most once), after
/// TigerBeetle.
///
/// Every movement updates the cached balance of the user account it touches and asserts
/// that it did; `LedgerAudit` recomputes them from the transfers. System accounts cache
/// nothing: every hold, capture and release would otherwise update the one `consumed`
/// row, and on PostgreSQL that row's lock would put all money movements in one line.
///
/// ```swift
/// try await database.write { db in
///     let ledger = Ledger(db)
///     try ledger.hold(id: "hold:dub_01", account: user, amount: 3, reference: "dub_01", at: now)
///     try ledger.post(holdID: "hold:dub_01", at: now)  // .posted
/// }
/// ```
public struct Ledger {
    let db: any SQLConnection

    public init(_ db: any SQLConnection) {
        precondition(db.isInTransaction, "ledger movements happen inside a transaction")
        self.db = db
    }

    /// Creates a user's ledger account with a zero balance.
    public func createUserAccount(name: String, at nowMilliseconds: Int64) throws -> AccountID {
        let id = try db.queryFirst(
            "INSERT INTO ledger_accounts (kind, name, created_at_ms) VALUES ('user', ?, ?) RETURNING id",
            name, nowMilliseconds
        ) { row in AccountID(rawValue: row["id"]) }
        return try require(id, "INSERT … RETURNING gave no row")
    }

    /// Whether `account` is a user's account.
    public func isUserAccount(_ account: AccountID) throws -> Bool {
        try db.queryFirst("SELECT kind FROM ledger_accounts WHERE id = ?", account.rawValue) { row in
            (row["kind"] as String) == "user"
        } ?? false
    }

    /// Moves `amount` credits from a system account to a user at once (grants, purchases).
    ///
    /// Idempotent by `id`: the same id again returns false and moves nothing; the same id
    /// for a different movement throws.
    /// - Returns: true when this call moved the credits.
    @discardableResult
    public func grant(
        id: String, to account: AccountID, from source: AccountID, amount: Int64,
        reason: MovementReason, note: String? = nil, reference: String? = nil, at nowMilliseconds: Int64
    ) throws -> Bool {
        precondition(amount > 0, "a grant moves a positive amount")
        precondition(source.isSystem, "grants come from a system account")
        if let existing = try transfer(id) {
            guard existing.debit == source, existing.credit == account, existing.amount == amount,
                existing.phase == "single"
            else { throw LedgerError.transferIDReused(id) }
            return false
        }
        // An id an operator typed may name a system account: refused like an unknown one.
        guard try isUserAccount(account) else { throw LedgerError.unknownAccount(account) }
        try insertTransfer(
            id: id, debit: source, credit: account, amount: amount, phase: "single", pendingID: nil,
            reason: reason, note: note, reference: reference, at: nowMilliseconds)
        try move(account: source, debitsPosted: amount)
        try move(account: account, creditsPosted: amount)
        return true
    }

    /// Reserves `amount` of a user's credits: a pending transfer user → consumed.
    ///
    /// - Throws: `LedgerError.insufficientCredits` when the user has less available,
    ///   `LedgerError.accountInDebt` while the user owes credits (a refunded or disputed
    ///   purchase that had been spent).
    public func hold(
        id: String, account: AccountID, amount: Int64, reference: String?, at nowMilliseconds: Int64
    ) throws {
        try hold(id: id, on: try lock(account), amount: amount, reference: reference, at: nowMilliseconds)
    }

    /// `hold` on an account this transaction has locked already (an enqueue locks it before
    /// its own checks), without reading the balance again.
    /// - Returns: the user's balance after the hold.
    @discardableResult
    public func hold(
        id: String, on locked: LockedAccount, amount: Int64, reference: String?, at nowMilliseconds: Int64
    ) throws -> Balance {
        precondition(amount > 0, "a hold reserves a positive amount")
        var balance = locked.balance
        guard balance.debt == 0 else { throw LedgerError.accountInDebt(credits: balance.debt) }
        guard balance.available >= amount else {
            throw LedgerError.insufficientCredits(required: amount, available: balance.available)
        }
        try insertTransfer(
            id: id, debit: locked.account, credit: .consumed, amount: amount, phase: "pending", pendingID: nil,
            reason: .jobHold, note: nil, reference: reference, at: nowMilliseconds)
        try move(account: locked.account, debitsPending: amount)
        try move(account: .consumed, creditsPending: amount)
        balance.available -= amount
        balance.held += amount
        return balance
    }

    /// A user's balance, with the account's row locked to this transaction until it
    /// commits (PostgreSQL; SQLite has one writer at a time): no other transaction moves
    /// the account's credits meanwhile, and a transaction that locks it too waits. What
    /// the caller checks after it — the balance, an enqueue's Idempotency-Key and queued
    /// limit — stays true until commit (docs/ARCHITECTURE.md, "PostgreSQL's concurrency").
    public func lock(_ account: AccountID) throws -> LockedAccount {
        guard let balance = try readBalance(of: account, suffix: db.dialect.lockRows) else {
            throw LedgerError.unknownAccount(account)
        }
        return LockedAccount(account: account, balance: balance)
    }

    /// Captures a hold: its credits are spent. A second resolution moves nothing.
    @discardableResult
    public func post(holdID: String, at nowMilliseconds: Int64) throws -> HoldResolution {
        try resolve(holdID: holdID, phase: "post", at: nowMilliseconds)
    }

    /// Releases a hold: its credits are available again. A second resolution moves nothing.
    @discardableResult
    public func void(holdID: String, at nowMilliseconds: Int64) throws -> HoldResolution {
        try resolve(holdID: holdID, phase: "void", at: nowMilliseconds)
    }

    /// The state of a hold, or nil when there is no such pending transfer.
    public func holdState(_ holdID: String) throws -> HoldState? {
        guard let (hold, done) = try transferAndResolution(holdID), hold.phase == "pending" else { return nil }
        return done.map { $0 == "post" ? .posted : .voided } ?? .pending
    }

    /// A user's balance from the cached account row.
    public func balance(of account: AccountID) throws -> Balance {
        guard let balance = try readBalance(of: account, suffix: "") else { throw LedgerError.unknownAccount(account) }
        return balance
    }

    /// The cached sums and the debt in one statement; `suffix` may lock the account's row.
    private func readBalance(of account: AccountID, suffix: String) throws -> Balance? {
        let balance = try db.queryFirst(
            """
            SELECT credits_posted, debits_posted, debits_pending,
                (SELECT coalesce(sum(credits), 0) FROM ledger_debts WHERE account_id = ?1) AS owed
            FROM ledger_accounts WHERE id = ?1 AND kind = 'user'\(suffix)
            """,
            account.rawValue
        ) { row in
            let received: Int64 = row["credits_posted"]
            let spent: Int64 = row["debits_posted"]
            let held: Int64 = row["debits_pending"]
            return Balance(
                available: received - spent - held, held: held, received: received, spent: spent, debt: row["owed"])
        }
        assert((balance?.available ?? 0) >= 0, "account \(account) is below zero")
        return balance
    }

    private func resolve(holdID: String, phase: String, at nowMilliseconds: Int64) throws -> HoldResolution {
        let reason: MovementReason = phase == "post" ? .jobCapture : .jobRelease
        // The resolving transfer is a copy of the hold, inserted only while the hold is
        // pending and unresolved: one statement where a lookup and an insert were two (a
        // settle's round trips are what a drain on PostgreSQL waits for). Two resolutions
        // racing are kept apart by the unique index on `pending_id`.
        let resolved = try db.queryFirst(
            """
            INSERT INTO ledger_transfers
                (id, debit_account_id, credit_account_id, amount, phase, pending_id, reason, note, reference, created_at_ms)
            SELECT ?1, t.debit_account_id, t.credit_account_id, t.amount, ?2, t.id, ?3, NULL, t.reference, ?4
            FROM ledger_transfers t
            WHERE t.id = ?5 AND t.phase = 'pending'
                AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
            RETURNING debit_account_id, credit_account_id, amount
            """,
            holdID + ":" + phase, phase, reason.rawValue, nowMilliseconds, holdID
        ) { row in
            (debit: AccountID(rawValue: row["debit_account_id"]), credit: AccountID(rawValue: row["credit_account_id"]),
             amount: row["amount"] as Int64)
        }
        guard let hold = resolved else {
            // Nothing moved; say why.
            guard let (hold, done) = try transferAndResolution(holdID) else { throw LedgerError.unknownTransfer(holdID) }
            guard hold.phase == "pending" else { throw LedgerError.notPending(holdID) }
            // Pending and unresolved now, but not when the insert began: a hold committed
            // in between, which this transaction had not seen yet.
            guard let done else { throw LedgerError.unknownTransfer(holdID) }
            return done == "post" ? .alreadyPosted : .alreadyVoided
        }
        if phase == "post" {
            try move(account: hold.debit, debitsPending: -hold.amount, debitsPosted: hold.amount)
            try move(account: hold.credit, creditsPending: -hold.amount, creditsPosted: hold.amount)
            return .posted
        } else {
            try move(account: hold.debit, debitsPending: -hold.amount)
            try move(account: hold.credit, creditsPending: -hold.amount)
            return .voided
        }
    }

    struct TransferRow {
        var debit: AccountID
        var credit: AccountID
        var amount: Int64
        var phase: String
        var reference: String?

        init(_ row: Row) {
            debit = AccountID(rawValue: row["debit_account_id"])
            credit = AccountID(rawValue: row["credit_account_id"])
            amount = row["amount"]
            phase = row["phase"]
            reference = row["reference"]
        }
    }

    func transfer(_ id: String) throws -> TransferRow? {
        try db.queryFirst(
            "SELECT debit_account_id, credit_account_id, amount, phase, reference FROM ledger_transfers WHERE id = ?",
            id, map: TransferRow.init)
    }

    /// A transfer and, for a hold, the phase of the transfer that resolved it.
    private func transferAndResolution(_ id: String) throws -> (TransferRow, resolution: String?)? {
        try db.queryFirst(
            """
            SELECT t.debit_account_id, t.credit_account_id, t.amount, t.phase, t.reference, r.phase AS resolution
            FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id
            WHERE t.id = ?
            """,
            id
        ) { row in (TransferRow(row), row["resolution"] as String?) }
    }

    func insertTransfer(
        id: String, debit: AccountID, credit: AccountID, amount: Int64, phase: String, pendingID: String?,
        reason: MovementReason, note: String?, reference: String?, at nowMilliseconds: Int64
    ) throws {
        let inserted = try db.execute(
            """
            INSERT INTO ledger_transfers
                (id, debit_account_id, credit_account_id, amount, phase, pending_id, reason, note, reference, created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            id, debit.rawValue, credit.rawValue, amount, phase, pendingID, reason.rawValue, note, reference,
            nowMilliseconds)
        assert(inserted == 1, "a transfer is one row")
    }

    /// Applies a change to a user account's cached sums; the schema's CHECKs refuse a user
    /// going below zero or any sum going negative. System accounts cache nothing.
    func move(
        account: AccountID,
        debitsPending: Int64 = 0, debitsPosted: Int64 = 0,
        creditsPending: Int64 = 0, creditsPosted: Int64 = 0
    ) throws {
        if account.isSystem { return }
        let changed: Int
        do {
            changed = try db.execute(
                """
                UPDATE ledger_accounts SET
                    debits_pending = debits_pending + ?, debits_posted = debits_posted + ?,
                    credits_pending = credits_pending + ?, credits_posted = credits_posted + ?
                WHERE id = ?
                """,
                debitsPending, debitsPosted, creditsPending, creditsPosted, account.rawValue)
        } catch let error as DatabaseError where error.isCheckViolation {
            let available = (try? balance(of: account).available) ?? 0
            throw LedgerError.insufficientCredits(required: debitsPending + debitsPosted, available: available)
        }
        guard changed == 1 else { throw LedgerError.unknownAccount(account) }
    }

    private func require<T>(_ value: T?, _ message: String) throws -> T {
        guard let value else { throw DatabaseError(extendedResultCode: 1, message: message) }
        return value
    }
}

extension Ledger {
    /// Every hold with its amount and state, for audits.
    public func allHolds() throws -> [String: (amount: Int64, state: HoldState)] {
        let rows = try db.query(
            """
            SELECT t.id, t.amount, r.phase AS resolution FROM ledger_transfers t
            LEFT JOIN ledger_transfers r ON r.pending_id = t.id
            WHERE t.phase = 'pending'
            """
        ) { row in
            let resolution: String? = row["resolution"]
            let state: HoldState = resolution == nil ? .pending : resolution == "post" ? .posted : .voided
            return (row["id"] as String, (amount: row["amount"] as Int64, state: state))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }
}
