import AurisTestSupport
import Queue
import Synchronization
import Testing
@testable import Worker

/// A runner wakes the event streams of its machine (`JobWakeups.jobChanges`) when it
/// reports progress and when it settles, so a stream shows the change without polling.
@Suite struct JobChangeWakeupTests {
    @Test func progressAndTheSettleWakeTheStreamsOfThisMachine() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let woken = Wakes()
        let listener = try JobWakeups.jobChanges(dataDirectory: fixture.files.dataDirectory).listen(name: "api-test") { count in
            woken.add(count)
        }
        defer { listener.stop() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_wakes")
        let (engine, run) = try await fixture.startBlockingRun(claimed)

        // The blocking engine reports progress at every tick: a heartbeat carries it.
        try await waitFor("a progress report to wake the stream") { woken.count > 0 }
        let beforeSettle = woken.count
        engine.release()
        await run.value
        #expect(try await fixture.job(job.id)?.state == .succeeded)
        try await waitFor("the settle to wake the stream") { woken.count > beforeSettle }
    }
}

private final class Wakes: Sendable {
    private let total = Mutex(0)

    func add(_ count: Int) {
        total.withLock { $0 += count }
    }

    var count: Int { total.withLock { $0 } }
}
