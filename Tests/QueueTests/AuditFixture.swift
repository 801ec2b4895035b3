import AurisTestSupport
import Billing
import Database
import Queue
import Testing

/// A sound store with one account and a job in every state, for tests that break one
/// invariant on purpose and expect the audits to name exactly that break.
///
/// Signup 10 credits; jobs: succeeded (1 credit, captured), failed (2, released),
/// canceled while queued (1, released), running (3, held), queued (2, held): 4 available.
struct AuditFixture {
    let store: TestStore
    let user: AccountID
    let succeeded: Job
    let failed: Job
    let canceled: Job
    let running: Job
    let queued: Job

    static func make() async throws -> AuditFixture {
        let store = try await TestStore.make("auris-audit")
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let queue = store.queue()
        func enqueue(_ credits: Int64) async throws -> Job {
            try await queue.enqueue(EnqueueRequest(account: user, credits: credits, durationMilliseconds: credits * 10_000, payload: "{}")).job
        }
        func claim(_ job: Job) async throws -> JobClaim {
            let claimed = try #require(try await queue.claim(owner: "w1"))
            try #require(claimed.id == job.id)
            return claimed.claim
        }
        let succeeded = try await enqueue(1)
        #expect(try await queue.succeed(try await claim(succeeded)) == .settled(.succeeded))
        let failed = try await enqueue(2)
        #expect(try await queue.fail(try await claim(failed), errorCode: "provider_rejected", errorMessage: "no") == .settled(.failed))
        let canceled = try await enqueue(1)
        #expect(try await queue.cancel(jobID: canceled.id, account: user) == .canceled)
        let running = try await enqueue(3)
        _ = try await claim(running)
        let queued = try await enqueue(2)
        let fixture = AuditFixture(
            store: store, user: user, succeeded: succeeded, failed: failed, canceled: canceled, running: running, queued: queued)
        try #require(try await store.violations() == [], "the fixture starts sound")
        try #require(try await store.accounts.balance(of: user) == Balance(available: 4, held: 5, received: 10, spent: 1))
        return fixture
    }

    /// Runs `sql` on the database with its own command line (`sqlite3` or `psql`), as a
    /// tamperer would: foreign keys and CHECK constraints off, and the triggers that keep
    /// ledger transfers immutable out of the way (in this test's database only).
    func tamper(_ sql: String) async throws {
        let result: ProcessResult
        if let url = store.databaseURL {
            // Triggers (foreign keys among them) sleep for a replica session; CHECKs cannot,
            // so this test's copy loses them.
            let script = """
                DO $$ DECLARE c record; BEGIN
                    FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint WHERE contype = 'c'
                        AND connamespace = 'public'::regnamespace LOOP
                        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.t, c.conname);
                    END LOOP;
                END $$;
                SET session_replication_role = replica;
                BEGIN;
                \(sql);
                COMMIT;
                """
            result = try await runProcess("/usr/bin/env", ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", script])
        } else {
            let script = """
                PRAGMA foreign_keys = OFF;
                PRAGMA ignore_check_constraints = ON;
                DROP TRIGGER IF EXISTS ledger_transfers_no_update;
                DROP TRIGGER IF EXISTS ledger_transfers_no_delete;
                BEGIN IMMEDIATE;
                \(sql);
                COMMIT;
                """
            result = try await runProcess("/usr/bin/env", ["sqlite3", "-bail", store.directory.appending("auris.sqlite"), script])
        }
        guard result.status == 0, result.standardError.isEmpty else {
            throw FixtureError("the tampering was refused: \(result.standardError)")
        }
    }

    /// A paid checkout session `id` granted `credits` as Stripe's webhook grants them.
    func paidCheckout(_ id: String, credits: Int64) async throws {
        let user = user
        let now = store.clock.nowMilliseconds
        try await store.database.write { db in
            try db.execute(
                """
                INSERT INTO checkout_sessions (id, account_id, plan_id, credits, amount_cents, currency, status, created_at_ms)
                VALUES (?, ?, 'pro', ?, 2000, 'eur', 'pending', ?)
                """, id, user.rawValue, credits, now)
            try Ledger(db).grant(id: "purchase:\(id)", to: user, from: .purchases, amount: credits, reason: .purchase, reference: id, at: now)
            try db.execute(
                "UPDATE checkout_sessions SET status = 'fulfilled', grant_transfer_id = ?, fulfilled_at_ms = ? WHERE id = ? AND status = 'pending'",
                "purchase:\(id)", now, id)
        }
    }

    func remove() { store.directory.remove() }
}
