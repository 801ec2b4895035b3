public import Database

/// Checks invariant 5 (docs/ARCHITECTURE.md, "The ledger"): each paid checkout session
/// is granted exactly once, every purchase grant belongs to one paid session, and what a
/// refund or dispute took back matches the ledger.
public struct PaymentsAudit {
    let db: any SQLConnection

    public init(_ db: any SQLConnection) {
        self.db = db
    }

    /// The audit as `AurisStore.violations(in:moreAudits:)` takes it.
    public static let check: @Sendable (any SQLConnection) throws -> [String] = { try PaymentsAudit($0).violations() }

    /// Every violation found, each as one sentence; empty when payments and grants agree.
    public func violations() throws -> [String] {
        var found: [String] = []
        try checkCheckoutGrants(&found)
        try checkReversals(&found)
        return found
    }

    /// 5. Each paid checkout session is granted exactly once, and every purchase grant
    /// belongs to one paid session.
    private func checkCheckoutGrants(_ found: inout [String]) throws {
        let badSessions = try db.query(
            """
            SELECT s.id FROM checkout_sessions s LEFT JOIN ledger_transfers t ON t.id = s.grant_transfer_id
            WHERE s.status = 'fulfilled' AND (t.id IS NULL OR t.reason <> 'purchase' OR t.amount <> s.credits
                OR t.credit_account_id <> s.account_id OR t.reference IS DISTINCT FROM s.id)
            """
        ) { row in row["id"] as String }
        for id in badSessions {
            found.append("invariant 5: paid checkout session \(id) has no matching purchase grant")
        }
        let strayGrants = try db.query(
            """
            SELECT t.id FROM ledger_transfers t WHERE t.reason = 'purchase' AND (
                SELECT count(*) FROM checkout_sessions s WHERE s.grant_transfer_id = t.id AND s.status = 'fulfilled') <> 1
            """
        ) { row in row["id"] as String }
        for id in strayGrants {
            found.append("invariant 5: purchase grant \(id) belongs to no paid checkout session")
        }
        let repeated = try db.query(
            """
            SELECT reference, count(*) AS grants FROM ledger_transfers WHERE reason = 'purchase'
            GROUP BY reference HAVING count(*) > 1
            """
        ) { row in (row["reference"] as String?, row["grants"] as Int64) }
        for (session, count) in repeated {
            found.append("invariant 5: checkout session \(session ?? "?") was granted \(count) times")
        }
    }

    /// What a session says was taken back is what the ledger took back plus what it
    /// recorded as owed, and never more than the session granted.
    private func checkReversals(_ found: inout [String]) throws {
        let broken = try db.query(
            """
            SELECT s.id AS session_id FROM checkout_sessions s
            WHERE s.credits_reversed > s.credits OR s.credits_reversed <> (
                SELECT coalesce(sum(t.amount), 0) FROM ledger_transfers t
                WHERE t.reference = s.id AND t.reason IN ('refund', 'dispute')
            ) + (
                SELECT coalesce(sum(d.credits), 0) FROM ledger_debts d
                WHERE d.reference = s.id AND d.reason IN ('refund', 'dispute')
            )
            """
        ) { row in row["session_id"] as String }
        for id in broken {
            found.append("invariant 5: checkout session \(id) took back other than its refunds and disputes")
        }
    }
}
