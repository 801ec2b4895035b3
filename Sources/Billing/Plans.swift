/// A pack of credits sold through Stripe Checkout.
public struct Plan: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var priceCents: Int64
    public var currency: String
    public var credits: Int64
    public var popular: Bool

    /// The price of one credit, in hundredths of a cent, rounded.
    public var pricePerCreditMillicents: Int64 {
        (priceCents * 1_000 + credits / 2) / credits
    }
}

/// The packs on sale (docs/ARCHITECTURE.md, "Credits").
public enum Plans {
    public static let all: [Plan] = [
        Plan(id: "starter", name: "Starter", priceCents: 500, currency: "eur", credits: 15, popular: false),
        Plan(id: "pro", name: "Pro", priceCents: 1_500, currency: "eur", credits: 60, popular: true),
        Plan(id: "premium", name: "Premium", priceCents: 3_000, currency: "eur", credits: 150, popular: false),
    ]

    public static func plan(id: String) -> Plan? {
        all.first { $0.id == id }
    }

    /// How much cheaper a credit of `plan` is than a credit of the starter pack, in whole
    /// percent (starter itself saves 0).
    public static func savingPercent(of plan: Plan) -> Int64 {
        guard let base = all.first else { return 0 }
        let baseMillicents = base.pricePerCreditMillicents
        let saved = baseMillicents - plan.pricePerCreditMillicents
        return max(0, (saved * 100 + baseMillicents / 2) / baseMillicents)
    }
}
