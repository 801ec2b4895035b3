import AurisTestSupport
import Billing
import Database
import Dispatch
import Queue
import Synchronization
import Testing

/// A claim that meets a due job another transaction holds (on PostgreSQL, a cancel that
/// has locked the job and waits for the lane the claim holds).
@Suite(.timeLimit(.minutes(2))) struct ClaimHeldJobTests {
    @Test func aHeldDueJobEndsTheClaimAndLeavesItsLaneAsItWas() async throws {
        let store = try await TestStore.make("auris-claim-held")
        defer { store.directory.remove() }
        // SQLite has one writer: no job is ever held by another transaction while a claim runs.
        guard store.databaseURL != nil else { return }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}")).job
        let lanesBefore = try await lanes(store.database)

        let holder = try await store.reopen()
        let held = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        let holding = Task {
            try await holder.writeLockingRows { db in
                _ = try db.query("SELECT id FROM jobs WHERE id = ? FOR UPDATE", job.id) { row in row["id"] as String }
                held.store(true, ordering: .releasing)
                // Bounded: the test's own time limit is the backstop if the claim never returns.
                _ = release.wait(timeout: .now() + 60)
            }
        }
        try await waitUntil("the job held by another transaction") { held.load(ordering: .acquiring) }
        // The first version of auris_claim_next took the skipped job for a lane out of step,
        // recounted the lane and reported it, which stops a debug build here.
        let duringHold = try await queue.claim(owner: "w", limit: 3)
        #expect(duringHold.isEmpty)
        #expect(try await lanes(store.database) == lanesBefore)
        release.signal()
        try await holding.value

        let claimed = try await queue.claim(owner: "w", limit: 3)
        #expect(claimed.map(\.id) == [job.id])
        #expect(try await store.violations() == [])
    }

    /// Each lane as `account queued running next_run_at_ms`.
    private func lanes(_ database: any SQLDatabase) async throws -> [String] {
        try await database.read { db in
            try db.query("SELECT account_id, queued, running, next_run_at_ms FROM queue_lanes ORDER BY account_id") { row in
                "\(row["account_id"] as Int64) \(row["queued"] as Int64) \(row["running"] as Int64) \(row["next_run_at_ms"] as Int64?)"
            }
        }
    }
}
