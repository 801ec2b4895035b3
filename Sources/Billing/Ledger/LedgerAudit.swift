public import Database

/// Recomputes the ledger from its transfers and lists every broken invariant
/// (docs/ARCHITECTURE.md, "The ledger": invariants 1, 2 and 3; the queue checks 4,
/// payments 5).
public struct LedgerAudit {
    let db: any SQLConnection

    public init(_ db: any SQLConnection) {
        self.db = db
    }

    /// Every violation found, each as one sentence; empty when the ledger is sound.
    public func violations() throws -> [String] {
        var found: [String] = []
        try checkCachedBalances(&found)
        try checkResolutions(&found)
        try checkFlows(&found)
        try checkDebts(&found)
        return found
    }

    /// 2. A user's cached balance equals the sums of its transfers, and system accounts
    /// cache nothing (their sums are the transfers'); 3. no user is below zero.
    ///
    /// Double entry itself (invariant 1) is the schema's: one transfer row is one debit
    /// and one credit of the same positive amount between two different accounts.
    private func checkCachedBalances(_ found: inout [String]) throws {
        struct Sums: Equatable { var debitsPending: Int64 = 0, debitsPosted: Int64 = 0, creditsPending: Int64 = 0, creditsPosted: Int64 = 0 }
        var derived: [Int64: Sums] = [:]
        let rows = try db.query(
            """
            SELECT account, coalesce(sum(dp), 0) AS dp, coalesce(sum(dpo), 0) AS dpo, coalesce(sum(cp), 0) AS cp,
                coalesce(sum(cpo), 0) AS cpo
            FROM (
                SELECT debit_account_id AS account, amount AS dp, 0 AS dpo, 0 AS cp, 0 AS cpo
                    FROM ledger_transfers t WHERE phase = 'pending'
                    AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
                UNION ALL SELECT credit_account_id, 0, 0, amount, 0
                    FROM ledger_transfers t WHERE phase = 'pending'
                    AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
                UNION ALL SELECT debit_account_id, 0, amount, 0, 0
                    FROM ledger_transfers WHERE phase IN ('single', 'post')
                UNION ALL SELECT credit_account_id, 0, 0, 0, amount
                    FROM ledger_transfers WHERE phase IN ('single', 'post')
            ) AS movements GROUP BY account
            """
        ) { row in
            (row["account"] as Int64, Sums(
                debitsPending: row["dp"], debitsPosted: row["dpo"], creditsPending: row["cp"], creditsPosted: row["cpo"]))
        }
        for (account, sums) in rows { derived[account] = sums }

        let cached = try db.query(
            "SELECT id, kind, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts"
        ) { row in
            (row["id"] as Int64, row["kind"] as String,
             Sums(debitsPending: row["debits_pending"], debitsPosted: row["debits_posted"],
                  creditsPending: row["credits_pending"], creditsPosted: row["credits_posted"]))
        }
        var known = Set<Int64>()
        for (account, kind, sums) in cached {
            known.insert(account)
            let fromTransfers = derived[account] ?? Sums()
            if kind != "user" {
                if sums != Sums() {
                    found.append("invariant 2: system account \(account) caches \(describe(sums)); system accounts cache nothing")
                }
            } else if sums != fromTransfers {
                found.append(
                    "invariant 2: account \(account) caches \(describe(sums)) but its transfers sum to \(describe(fromTransfers))")
            }
            if kind == "user" {
                let available = fromTransfers.creditsPosted - fromTransfers.debitsPosted - fromTransfers.debitsPending
                if available < 0 {
                    found.append("invariant 3: user account \(account) is below zero (\(available) available)")
                }
            }
        }
        for account in derived.keys where !known.contains(account) {
            found.append("invariant 2: transfers name account \(account), which does not exist")
        }

        func describe(_ sums: Sums) -> String {
            "debits \(sums.debitsPending) pending/\(sums.debitsPosted) posted, credits \(sums.creditsPending) pending/\(sums.creditsPosted) posted"
        }
    }

    /// A post or void repeats its pending transfer exactly.
    private func checkResolutions(_ found: inout [String]) throws {
        let broken = try db.query(
            """
            SELECT r.id FROM ledger_transfers r LEFT JOIN ledger_transfers p ON p.id = r.pending_id
            WHERE r.phase IN ('post', 'void') AND (p.id IS NULL OR p.phase <> 'pending' OR p.amount <> r.amount
                OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id)
            """
        ) { row in row["id"] as String }
        for id in broken {
            found.append("invariant 1: resolution \(id) does not match its pending transfer")
        }
    }

    /// Credits flow only the ways the design allows.
    private func checkFlows(_ found: inout [String]) throws {
        let broken = try db.query(
            """
            SELECT t.id, t.reason FROM ledger_transfers t
            JOIN ledger_accounts d ON d.id = t.debit_account_id
            JOIN ledger_accounts c ON c.id = t.credit_account_id
            WHERE NOT (
                (t.reason = 'purchase' AND t.phase = 'single' AND d.kind = 'purchases' AND c.kind = 'user')
                OR (t.reason IN ('signup', 'admin_grant') AND t.phase = 'single' AND d.kind = 'grants' AND c.kind = 'user')
                OR (t.reason = 'job_hold' AND t.phase = 'pending' AND d.kind = 'user' AND c.kind = 'consumed')
                OR (t.reason = 'job_capture' AND t.phase = 'post' AND d.kind = 'user' AND c.kind = 'consumed')
                OR (t.reason = 'job_release' AND t.phase = 'void' AND d.kind = 'user' AND c.kind = 'consumed')
                OR (t.reason IN ('refund', 'dispute', 'debt_repayment') AND t.phase = 'single'
                    AND d.kind = 'user' AND c.kind = 'purchases')
            )
            """
        ) { row in (row["id"] as String, row["reason"] as String) }
        for (id, reason) in broken {
            found.append("invariant 1: transfer \(id) (\(reason)) moves credits between the wrong accounts")
        }
    }

    /// 3. Nobody owes less than nothing: repayments and forgiveness never exceed a debt.
    private func checkDebts(_ found: inout [String]) throws {
        let overpaid = try db.query(
            "SELECT account_id, sum(credits) AS owed FROM ledger_debts GROUP BY account_id HAVING sum(credits) < 0"
        ) { row in (row["account_id"] as Int64, row["owed"] as Int64) }
        for (account, owed) in overpaid {
            found.append("invariant 3: account \(account) has a debt of \(owed) credits, below zero")
        }
    }
}
