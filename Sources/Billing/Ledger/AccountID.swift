/// A ledger account: a user's, or one of the system accounts credits move between.
public struct AccountID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Where purchased credits come from (Stripe payments).
    public static let purchases = AccountID(rawValue: 1)
    /// Where free credits come from (sign-up and admin grants).
    public static let grants = AccountID(rawValue: 2)
    /// Where spent credits go (held, then posted, by jobs).
    public static let consumed = AccountID(rawValue: 3)

    public var isSystem: Bool { rawValue <= 3 }
    public var description: String { String(rawValue) }
    public static func < (lhs: AccountID, rhs: AccountID) -> Bool { lhs.rawValue < rhs.rawValue }
}
