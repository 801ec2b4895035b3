import AurisTestSupport
import Billing
import Testing

/// `PaymentsAudit` (part of `auris ledger verify`) detects each break of invariant 5
/// (each paid checkout session granted exactly once): each test breaks it one way, by
/// raw SQL, and expects exactly its violation. Here beside the other audits' tests,
/// which share the fixture.
@Suite(.timeLimit(.minutes(5))) struct PaymentsAuditTests {
    @Test("invariant 5: a paid session whose grant is not what it bought")
    func sessionWithoutMatchingGrant() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.paidCheckout("cs_test_1", credits: 15)
        try #require(try await fixture.store.violations() == [])
        try await fixture.tamper("UPDATE checkout_sessions SET credits = 16 WHERE id = 'cs_test_1'")
        #expect(try await fixture.store.violations() == ["invariant 5: paid checkout session cs_test_1 has no matching purchase grant"])
    }

    @Test("invariant 5: a purchase grant with no paid session")
    func grantWithoutSession() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.paidCheckout("cs_test_1", credits: 15)
        try await fixture.tamper("UPDATE checkout_sessions SET status = 'pending', grant_transfer_id = NULL WHERE id = 'cs_test_1'")
        #expect(try await fixture.store.violations() == ["invariant 5: purchase grant purchase:cs_test_1 belongs to no paid checkout session"])
    }

    @Test("invariant 5: a session granted twice")
    func sessionGrantedTwice() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.paidCheckout("cs_test_1", credits: 15)
        try await fixture.tamper("""
            INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, reason, reference, created_at_ms)
                VALUES ('purchase:again', 1, \(fixture.user.rawValue), 15, 'single', 'purchase', 'cs_test_1', 0);
            UPDATE ledger_accounts SET credits_posted = credits_posted + 15 WHERE id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == [
            "invariant 5: purchase grant purchase:again belongs to no paid checkout session",
            "invariant 5: checkout session cs_test_1 was granted 2 times",
        ])
    }
}
