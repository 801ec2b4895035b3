/// A user's credits as the ledger sees them.
public struct Balance: Sendable, Equatable, Codable {
    /// Credits the user can spend now: posted credits − posted debits − held.
    public var available: Int64
    /// Credits reserved by jobs that have not finished.
    public var held: Int64
    /// Everything ever received (grants and purchases).
    public var received: Int64
    /// Everything ever spent (captured holds, purchases taken back).
    public var spent: Int64
    /// Credits owed for a refunded or disputed purchase that had been spent; while it is
    /// above zero the account can start no job.
    public var debt: Int64

    public init(available: Int64, held: Int64, received: Int64, spent: Int64, debt: Int64 = 0) {
        self.available = available
        self.held = held
        self.received = received
        self.spent = spent
        self.debt = debt
    }
}

/// How a hold was resolved by a call to `post` or `void`.
public enum HoldResolution: Sendable, Equatable {
    /// This call posted (captured) the hold.
    case posted
    /// This call voided (released) the hold.
    case voided
    /// The hold was already posted; nothing moved.
    case alreadyPosted
    /// The hold was already voided; nothing moved.
    case alreadyVoided

    /// Whether this call moved credits.
    public var moved: Bool { self == .posted || self == .voided }
}

/// The state of a pending transfer.
public enum HoldState: String, Sendable, Equatable {
    case pending, posted, voided
}

/// Why credits moved, as shown in a user's history.
public enum MovementReason: String, Sendable, Codable, CaseIterable {
    case signup
    case adminGrant = "admin_grant"
    case purchase
    case jobHold = "job_hold"
    case jobCapture = "job_capture"
    case jobRelease = "job_release"
    /// A refunded purchase's credits taken back.
    case refund
    /// A disputed purchase's credits taken back.
    case dispute
    /// Credits taken to pay what the user owed.
    case debtRepayment = "debt_repayment"
}

/// One line of a user's credit history.
public struct Movement: Sendable, Equatable, Codable {
    public var transferID: String
    public var reason: MovementReason
    /// What the user's available credits changed by: positive for grants and releases,
    /// negative for holds; a capture changes nothing available (the hold already did).
    public var availableChange: Int64
    public var amount: Int64
    public var note: String?
    public var reference: String?
    public var createdAtMilliseconds: Int64
}

/// A user's account locked to the transaction that read it (`Ledger.lock`), with its
/// balance as of the lock: nothing moves its credits until that transaction ends.
public struct LockedAccount {
    public let account: AccountID
    public let balance: Balance
}
