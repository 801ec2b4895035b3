import AurisTestSupport
import Billing
import Database
import Queue
import Testing

/// Enqueues of one account racing on several connections: on PostgreSQL they take turns
/// on the account's ledger row (no serializable isolation), and what a client sees must
/// be what one-at-a-time enqueues would give.
@Suite(.timeLimit(.minutes(5))) struct EnqueueRaceTests {
    /// `count` enqueues of `request`, spread over six connections, started together.
    private func race(
        _ request: EnqueueRequest, count: Int, on store: TestStore, maxQueued: Int
    ) async throws -> [Result<EnqueueOutcome, any Error>] {
        var queues: [JobQueue] = []
        for _ in 0..<6 {
            var configuration = JobQueue.Configuration()
            configuration.maxQueuedPerAccount = maxQueued
            queues.append(JobQueue(database: try await store.reopen(), configuration: configuration))
        }
        return await withTaskGroup(of: Result<EnqueueOutcome, any Error>.self) { group in
            for index in 0..<count {
                let queue = queues[index % queues.count]
                group.addTask {
                    do { return .success(try await queue.enqueue(request)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func oneIdempotencyKeyRacedFromManyConnectionsCreatesOneJobAndOneHold() async throws {
        let store = try await TestStore.make("auris-key-race")
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 50).id
        let request = EnqueueRequest(
            account: user, credits: 3, durationMilliseconds: 30_000, payload: "{}", idempotencyKey: "same",
            requestFingerprint: "f1")
        let results = try await race(request, count: 24, on: store, maxQueued: 100)
        var created: [Job] = []
        var replayed: [Job] = []
        for result in results {
            switch try result.get() {
            case .created(let job, let available):
                #expect(available == 47)
                created.append(job)
            case .replayed(let job): replayed.append(job)
            }
        }
        #expect(created.count == 1)
        #expect(replayed.count == 23)
        #expect(Set(replayed.map(\.id)) == Set(created.map(\.id)))
        #expect(try await store.accounts.balance(of: user) == Balance(available: 47, held: 3, received: 50, spent: 0))
        #expect(try await store.queue().jobs(of: user, limit: 100, before: nil).count == 1)
        #expect(try await store.violations() == [])
    }

    @Test func racingEnqueuesStopExactlyAtTheQueuedLimit() async throws {
        let store = try await TestStore.make("auris-limit-race")
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 100).id
        let request = EnqueueRequest(account: user, credits: 1, durationMilliseconds: 5_000, payload: "{}")
        let results = try await race(request, count: 30, on: store, maxQueued: 7)
        var accepted = 0
        for result in results {
            switch result {
            case .success: accepted += 1
            case .failure(let error): #expect(error as? QueueError == .tooManyJobs(limit: 7))
            }
        }
        #expect(accepted == 7)
        #expect(try await store.accounts.balance(of: user) == Balance(available: 93, held: 7, received: 100, spent: 0))
        #expect(try await store.violations() == [])
    }

    @Test func refusalsCarryTheNumbersAndMoveNothing() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let queue = store.queue()
        let user = try await store.accounts.create(name: "Ada", signupCredits: 4).id
        let first = try await queue.enqueue(EnqueueRequest(account: user, credits: 3, durationMilliseconds: 25_000, payload: "{}"))
        guard case .created(_, let available) = first else { Issue.record("the first job is created"); return }
        #expect(available == 1)
        await #expect(throws: LedgerError.insufficientCredits(required: 2, available: 1)) {
            try await queue.enqueue(EnqueueRequest(account: user, credits: 2, durationMilliseconds: 15_000, payload: "{}"))
        }
        await #expect(throws: LedgerError.unknownAccount(AccountID(rawValue: 9_999))) {
            try await queue.enqueue(EnqueueRequest(
                account: AccountID(rawValue: 9_999), credits: 1, durationMilliseconds: 5_000, payload: "{}"))
        }
        #expect(try await store.accounts.balance(of: user) == Balance(available: 1, held: 3, received: 4, spent: 0))
        #expect(try await queue.jobs(of: user, limit: 10, before: nil).count == 1)
        #expect(try await store.violations() == [])
    }
}
