import AurisTestSupport
import Billing
import Database
import Queue
import Testing

/// `QueueAudit` detects each break of invariant 4 (every job's hold matches its state)
/// and of the lanes: each test breaks exactly one thing, by raw SQL, and expects exactly
/// its violation.
@Suite(.timeLimit(.minutes(5))) struct QueueAuditTests {
    @Test("invariant 4: a finished job whose hold is still pending")
    func stateDisagreesWithHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        // Marked failed without voiding its hold; the lane is kept in step.
        try await fixture.tamper("""
            UPDATE jobs SET state = 'failed', finished_at_ms = 1 WHERE id = '\(fixture.queued.id)';
            UPDATE queue_lanes SET queued = 0, next_run_at_ms = NULL WHERE account_id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == ["invariant 4: job \(fixture.queued.id) is failed but its hold is pending"])
    }

    @Test("invariant 4: a succeeded job whose hold was voided")
    func succeededWithVoidedHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("UPDATE jobs SET state = 'succeeded' WHERE id = '\(fixture.failed.id)'")
        #expect(try await fixture.store.violations() == ["invariant 4: job \(fixture.failed.id) is succeeded but its hold is voided"])
    }

    @Test("invariant 4: a job that costs more than it holds")
    func amountDisagreesWithHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("UPDATE jobs SET credits = credits + 1 WHERE id = '\(fixture.running.id)'")
        #expect(try await fixture.store.violations() == ["invariant 4: job \(fixture.running.id) costs 4 credits but holds 3"])
    }

    @Test("invariant 4: a job with no hold")
    func jobWithoutHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        // The job points at a hold that does not exist; its real hold, now nobody's, is
        // voided with the balances in step, so only the missing hold is wrong.
        let hold = fixture.queued.holdID
        try await fixture.tamper("""
            UPDATE jobs SET hold_id = 'hold:missing' WHERE id = '\(fixture.queued.id)';
            INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, pending_id, reason, created_at_ms)
                VALUES ('\(hold):void', \(fixture.user.rawValue), 3, 2, 'void', '\(hold)', 'job_release', 0);
            UPDATE ledger_accounts SET debits_pending = debits_pending - 2 WHERE id = \(fixture.user.rawValue)
            """)
        #expect(try await fixture.store.violations() == ["invariant 4: job \(fixture.queued.id) (queued) has no hold hold:missing"])
    }

    @Test("invariant 4: a pending hold that belongs to no job")
    func strayHold() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        // Through the ledger's own code, so everything but the missing job is right.
        let (user, now) = (fixture.user, fixture.store.clock.nowMilliseconds)
        try await fixture.store.database.write { db in
            try Ledger(db).hold(id: "hold:orphan", account: user, amount: 1, reference: nil, at: now)
        }
        #expect(try await fixture.store.violations() == ["invariant 4: pending hold hold:orphan belongs to no job"])
    }

    @Test("lanes: a lane whose counts disagree with its jobs")
    func laneCountsDrift() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("UPDATE queue_lanes SET running = running + 1 WHERE account_id = \(fixture.user.rawValue)")
        let next = fixture.queued.runAtMilliseconds
        #expect(try await fixture.store.violations() == [
            "queue: lane of account \(fixture.user) says 1 queued/2 running (next \(next)) but jobs say 1/1 (next \(next))",
        ])
    }

    @Test("lanes: a lane whose next due time disagrees with its jobs")
    func laneNextRunDrift() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("UPDATE queue_lanes SET next_run_at_ms = next_run_at_ms + 1000 WHERE account_id = \(fixture.user.rawValue)")
        let next = fixture.queued.runAtMilliseconds
        #expect(try await fixture.store.violations() == [
            "queue: lane of account \(fixture.user) says 1 queued/1 running (next \(next + 1000)) but jobs say 1/1 (next \(next))",
        ])
    }

    @Test("lanes: an account with jobs and no lane")
    func missingLane() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("DELETE FROM queue_lanes WHERE account_id = \(fixture.user.rawValue)")
        #expect(try await fixture.store.violations() == ["queue: account \(fixture.user) has jobs but no lane"])
    }

    @Test("claims: a running job held by no claim, and a finished job still holding one")
    func claimTokensOutOfStep() async throws {
        let fixture = try await AuditFixture.make()
        defer { fixture.remove() }
        try await fixture.tamper("""
            UPDATE jobs SET claim_token = NULL WHERE id = '\(fixture.running.id)';
            UPDATE jobs SET claim_token = 'claim_left' WHERE id = '\(fixture.succeeded.id)'
            """)
        #expect(try await fixture.store.violations().sorted() == [
            "queue: job \(fixture.running.id) is running but has no claim token",
            "queue: job \(fixture.succeeded.id) is succeeded but still has a claim token",
        ].sorted())
    }
}
