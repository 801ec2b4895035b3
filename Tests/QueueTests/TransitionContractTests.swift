import AurisTestSupport
import Billing
import Database
import Testing

@testable import Queue

/// The one transition function changes a job only from the state its transition names
/// (and, for a running job, only for the claim that holds it). The queue's callers read the
/// state in the same transaction first, so these guards are what keeps a caller that
/// read a stale state — another process's commit in between — from moving anything.
@Suite(.timeLimit(.minutes(5))) struct TransitionContractTests {
    @Test func aTransitionFromAnotherStateChangesNothingAndMovesNoCredit() async throws {
        let store = try await TestStore.make("auris-transition")
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let queue = store.queue()
        let running = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}")).job
        let held = try #require(try await queue.claim(owner: "w1")).claim
        let finished = try await queue.enqueue(EnqueueRequest(account: user, credits: 2, durationMilliseconds: 15_000, payload: "{}")).job
        _ = try await queue.cancel(jobID: finished.id, account: user)
        let balanceBefore = try await store.accounts.balance(of: user)
        let now = store.clock.nowMilliseconds

        let changed = try await store.database.write { db in
            [
                // A queued-job cancel applied to a running job, as from a stale read.
                try JobQueue.apply(.cancelQueued, jobID: running.id, claimedBy: nil, failure: .canceledByClient, now: now, in: db),
                // A claim of a job that has already ended.
                try JobQueue.apply(
                    .claim, jobID: finished.id, claimedBy: nil,
                    newLease: .init(claim: JobClaim(jobID: finished.id, owner: "w2", token: "claim_w2"), expiresAtMilliseconds: now + 60_000),
                    now: now, in: db),
                // A settle by a worker that does not hold the lease.
                try JobQueue.apply(
                    .succeed, jobID: running.id, claimedBy: JobClaim(jobID: running.id, owner: "w2", token: "claim_w2"), now: now,
                    in: db),
                // A settle by the lease's owner under another claim than the one that holds
                // the job (an earlier attempt of the same worker).
                try JobQueue.apply(
                    .succeed, jobID: running.id, claimedBy: JobClaim(jobID: running.id, owner: held.owner, token: "claim_earlier"),
                    now: now, in: db),
            ]
        }
        #expect(changed == [false, false, false, false])
        #expect(try await queue.job(id: running.id)?.state == .running)
        #expect(try await queue.job(id: finished.id)?.state == .canceled)
        #expect(try await store.accounts.balance(of: user) == balanceBefore)
        #expect(try await store.violations() == [])
    }
}
