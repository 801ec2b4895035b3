import AurisTestSupport
import Billing
import Database
import Dispatch
import Queue
import Synchronization
import Testing

/// A claim or a rescue that meets a job another transaction holds: on PostgreSQL, a
/// cancel that has locked a queued job and waits for the lane the claim holds, or a
/// heartbeat extending a lease that has just run out. SQLite has one writer, so no job is
/// ever held by another transaction while a claim or a rescue runs; these tests are for
/// PostgreSQL and return at once on SQLite.
@Suite(.timeLimit(.minutes(2))) struct HeldJobTests {
    @Test func aHeldDueJobEndsTheClaimAndLeavesItsLaneAsItWas() async throws {
        let store = try await TestStore.make("auris-claim-held")
        defer { store.directory.remove() }
        guard store.databaseURL != nil else { return }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let job = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}")).job
        let lanesBefore = try await lanes(store.database)

        let holder = try await HeldJob.hold(job.id, in: store, doing: "SELECT id FROM jobs WHERE id = ? FOR UPDATE")
        // The first version of auris_claim_next took the skipped job for a lane out of step,
        // recounted the lane and reported it, which stops a debug build here.
        let duringHold = try await queue.claim(owner: "w", limit: 3)
        #expect(duringHold.isEmpty)
        #expect(try await lanes(store.database) == lanesBefore)
        try await holder.release()

        let claimed = try await queue.claim(owner: "w", limit: 3)
        #expect(claimed.map(\.id) == [job.id])
        #expect(try await store.violations() == [])
    }

    @Test func aRescueLeavesAnExpiredJobWhoseHeartbeatIsCommitting() async throws {
        let store = try await TestStore.make("auris-rescue-held")
        defer { store.directory.remove() }
        guard store.databaseURL != nil else { return }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        _ = try await queue.enqueue(EnqueueRequest(account: user, credits: 1, durationMilliseconds: 1_000, payload: "{}"))
        let running = try #require(try await queue.claim(owner: "w"))
        store.clock.advance(byMilliseconds: JobQueue.Configuration().leaseMilliseconds + 1)

        // The worker's heartbeat, caught between its UPDATE and its COMMIT.
        let extended = store.clock.nowMilliseconds + JobQueue.Configuration().leaseMilliseconds
        let holder = try await HeldJob.hold(
            running.id, in: store, doing: "UPDATE jobs SET lease_expires_at_ms = \(extended) WHERE id = ? RETURNING id")
        // Read without a lock, the rescue waited for the heartbeat and then took the job
        // back from its live worker; now it passes over the job at once.
        let rescueEnded = Flag()
        let rescue = Task {
            defer { rescueEnded.set() }
            return try await queue.rescueExpiredLeases()
        }
        try await waitUntil("the rescue to end while the job is held", timeoutSeconds: 10) { rescueEnded.isSet }
        #expect(holder.isHolding)
        try await holder.release()
        #expect(try await rescue.value == 0)
        #expect(try await queue.job(id: running.id)?.state == .running)
        #expect(try await queue.rescueExpiredLeases() == 0)
        guard case .extended = try await queue.heartbeat(running.claim) else {
            Issue.record("the live worker lost its job"); return
        }
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

/// A transaction on another set of connections that has run one statement on a job and
/// neither commits nor rolls back until released.
private final class HeldJob: Sendable {
    private let held = Flag()
    private let released = Flag()
    private let release = DispatchSemaphore(value: 0)
    private let transaction = Mutex<Task<Void, any Error>?>(nil)

    var isHolding: Bool { held.isSet && !released.isSet }

    /// Runs `sql` (one `?`, the job's id) and waits until the job is held.
    static func hold(_ jobID: String, in store: TestStore, doing sql: String) async throws -> HeldJob {
        let holder = HeldJob()
        let database = try await store.reopen()
        let task = Task {
            try await database.writeLockingRows { db in
                _ = try db.query(sql, jobID) { row in row["id"] as String }
                holder.held.set()
                // Bounded: a test that never releases still ends.
                _ = holder.release.wait(timeout: .now() + 60)
            }
        }
        holder.transaction.withLock { $0 = task }
        try await waitUntil("job \(jobID) held by another transaction", timeoutSeconds: 10) { holder.held.isSet }
        return holder
    }

    /// Commits the transaction.
    func release() async throws {
        released.set()
        release.signal()
        try await transaction.withLock { $0 }?.value
    }
}

/// Set once, read from any task.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
