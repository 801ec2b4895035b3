import AurisTestSupport
import Billing
import Database
import Queue
import Testing

/// `LedgerAudit` (and so `auris ledger verify`) detects each ledger invariant it claims
/// to check (2 and 3; 1 is the schema's): each test breaks exactly one, by raw SQL, and
/// expects exactly its violation.
@Suite(.timeLimit(.minutes(5))) struct LedgerAuditTests {
    @Test("invariant 1 is the schema's: a transfer from an account to itself, or of nothing, is refused")
    func oneSidedTransfersAreRefused() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        for (debit, credit, amount) in [(2, 2, 1), (2, fixture.user.rawValue, 0)] {
            let error = await #expect(throws: DatabaseError.self) {
                try await fixture.store.database.write { db in
                    try db.execute(
                        """
                        INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, reason, created_at_ms)
                            VALUES ('forged', ?, ?, ?, 'single', 'admin_grant', 0)
                        """,
                        debit, credit, amount)
                }
            }
            #expect(error?.isCheckViolation == true, "\(String(describing: error))")
        }
        #expect(try await fixture.store.violations() == [])
    }

    @Test("invariant 2: a system account that caches a sum")
    func systemAccountCachesASum() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("UPDATE ledger_accounts SET credits_pending = credits_pending + 1 WHERE id = 3")
        #expect(try await fixture.store.violations() == [
            "invariant 2: system account 3 caches debits 0 pending/0 posted, credits 1 pending/0 posted; system accounts cache nothing"
        ])
    }

    @Test("invariant 1: a capture that does not repeat its hold")
    func resolutionDiffersFromItsHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        let hold = fixture.succeeded.holdID
        // The capture moves one credit more than was held; the cached balances follow the
        // transfers, so only the mismatch itself is wrong.
        try await fixture.tamper("""
            UPDATE ledger_transfers SET amount = amount + 1 WHERE id = '\(hold):post';
            UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == ["invariant 1: resolution \(hold):post does not match its pending transfer"])
    }

    @Test("invariant 1: credits that flow between the wrong accounts")
    func forbiddenFlow() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        // A sign-up bonus paid out of the purchases account, balances kept in step.
        try await fixture.tamper("""
            INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, reason, created_at_ms)
                VALUES ('forged', 1, \(fixture.user.rawValue), 5, 'single', 'signup', 0);
            UPDATE ledger_accounts SET credits_posted = credits_posted + 5 WHERE id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == ["invariant 1: transfer forged (signup) moves credits between the wrong accounts"])
    }

    @Test("invariant 2: cached balances that do not match the transfers, though they still balance")
    func cachedBalanceDrift() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("""
            UPDATE ledger_accounts SET credits_posted = credits_posted + 4 WHERE id = \(fixture.user.rawValue)
            """)
        let violations = try await fixture.store.violations()
        #expect(violations.count == 1, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("invariant 2: account \(fixture.user) caches debits 5 pending/1 posted, credits 0 pending/14 posted but") })
    }

    @Test("invariant 2: a transfer naming an account that does not exist")
    func transferToNowhere() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("""
            INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, reason, created_at_ms)
                VALUES ('lost', 2, 99, 1, 'single', 'admin_grant', 0)
            """)
        #expect(try await fixture.store.violations() == ["invariant 2: transfers name account 99, which does not exist"])
    }

    @Test("invariant 3: a user below zero, with balances that match the transfers")
    func userBelowZero() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        // The sign-up grant shrinks from 10 to 5 while 6 credits are committed.
        try await fixture.tamper("""
            UPDATE ledger_transfers SET amount = 5 WHERE id = 'signup:\(fixture.user.rawValue)';
            UPDATE ledger_accounts SET credits_posted = credits_posted - 5 WHERE id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == ["invariant 3: user account \(fixture.user) is below zero (-1 available)"])
    }
}
