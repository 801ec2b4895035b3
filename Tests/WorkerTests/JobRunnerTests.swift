import AurisTestSupport
import Billing
import Database
import Dubbing
import Foundation
import MediaStore
import Queue
import Synchronization
import Testing
@testable import Worker

/// The runner settles each job exactly as its ending requires, and the money follows.
@Suite struct JobRunnerTests {
    @Test func aSuccessCapturesTheHoldAndKeepsOnlyTheResult() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_success", hasSubtitles: true)
        let engine = FakeEngine(.succeed)

        await fixture.runner(engine).run(claimed)

        let finished = try #require(try await fixture.job(job.id))
        #expect(finished.state == .succeeded)
        #expect(try await fixture.balance() == Balance(available: 7, held: 0, received: 10, spent: 3))
        // The engine read the upload named by the job's upload id, fetched into the job's folder.
        let folder = fixture.files.workFolder(jobID: job.id)
        #expect(engine.sources == [DubbingSource(audioPath: folder + "/source", subtitlesPath: folder + "/subtitles")])
        #expect(engine.readSources == ["audio": "audio", "subtitles": "1\n00:00:00,000 --> 00:00:01,000\nSalut\n"])
        #expect(try await fixture.stored(.result(jobID: job.id, fileExtension: "mp3")))
        #expect(try await fixture.uploadGone("up_success"))
        #expect(!fixture.exists(fixture.files.workFolder(jobID: job.id)))
        #expect(try await fixture.store.violations() == [])
    }

    @Test func aTransientFailureRetriesNoSoonerThanRetryAfter() async throws {
        let fixture = try await WorkerFixture { configuration in
            configuration.retry = RetryPolicy(baseMilliseconds: 1_000, capMilliseconds: 300_000, jitter: { 1 })
        }
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_retry")
        let failedAt = fixture.store.clock.nowMilliseconds

        await fixture.runner(FakeEngine(.failTransiently(retryAfterSeconds: 30))).run(claimed)

        let queued = try #require(try await fixture.job(job.id))
        #expect(queued.state == .queued && queued.attempts == 1)
        // The backoff alone would be 1 s; the provider asked for 30.
        #expect(queued.runAtMilliseconds == failedAt + 30_000)
        #expect(queued.errorCode == "provider_rate_limited")
        #expect(try await fixture.balance() == Balance(available: 7, held: 3, received: 10, spent: 0))
        // The next attempt needs the upload.
        #expect(try await fixture.uploadKept("up_retry"))
        #expect(try await fixture.claim() == nil)
        fixture.store.clock.advance(byMilliseconds: 30_000)
        #expect(try await fixture.claim()?.attempt == 2)
        #expect(try await fixture.store.violations() == [])
    }

    @Test func theLastTransientFailureFailsTheJobAndVoidsItsHold() async throws {
        let fixture = try await WorkerFixture { $0.maxAttempts = 1 }
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_spent")

        await fixture.runner(FakeEngine(.failTransiently(retryAfterSeconds: nil))).run(claimed)

        let failed = try #require(try await fixture.job(job.id))
        #expect(failed.state == .failed && failed.errorCode == "provider_rate_limited")
        #expect(failed.errorMessage?.contains("gave up after 1 attempts") == true)
        try await fixture.expectEverythingReleased(uploadID: "up_spent")
    }

    @Test func aPermanentFailureVoidsTheHold() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_refused")
        let engine = FakeEngine(.failPermanently)

        await fixture.runner(engine).run(claimed)

        let failed = try #require(try await fixture.job(job.id))
        #expect(failed.state == .failed && failed.errorCode == "provider_rejected" && failed.attempts == 1)
        #expect(engine.calls == 1)
        #expect(try await !fixture.stored(.result(jobID: job.id, fileExtension: "mp3")))
        try await fixture.expectEverythingReleased(uploadID: "up_refused")
    }

    @Test func aJobWithoutAnUploadFailsWithoutCallingTheEngine() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 20_000)
        let payload = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        let job = try await fixture.queue.enqueue(EnqueueRequest(
            account: fixture.account, credits: 3, durationMilliseconds: 20_000, payload: payload)).job
        let claimed = try #require(try await fixture.claim())
        let engine = FakeEngine(.succeed)

        await fixture.runner(engine).run(claimed)

        #expect(engine.calls == 0)
        let failed = try #require(try await fixture.job(job.id))
        #expect(failed.state == .failed && failed.errorCode == "invalid_audio")
        #expect(try await fixture.balance() == Balance(available: 10, held: 0, received: 10, spent: 0))
        #expect(try await fixture.store.violations() == [])
    }

    @Test func aCancelRequestedMidJobStopsTheEngineAndVoidsTheHold() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_cancel")
        let (engine, run) = try await fixture.startBlockingRun(claimed)

        #expect(try await fixture.queue.cancel(jobID: job.id, account: fixture.account) == .cancelRequested)
        await run.value

        #expect(engine.sawCancellation)
        let canceled = try #require(try await fixture.job(job.id))
        #expect(canceled.state == .canceled && canceled.errorCode == JobErrorCodes.canceled)
        try await fixture.expectEverythingReleased(uploadID: "up_cancel")
    }

    /// The job is claimed again by another worker, or by another slot of the runner's
    /// own worker process (the same lease owner): either way the old attempt stops.
    @Test(arguments: ["worker-2", WorkerFixture.workerID])
    func aRunnerThatLostItsLeaseSettlesNothing(reclaimedBy newOwner: String) async throws {
        let fixture = try await WorkerFixture { $0.leaseMilliseconds = 5_000 }
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_rescued")
        // The runner's process keeps its own clock, stopped; another process's clock
        // runs past the lease, so the runner's heartbeats cannot keep the lease alive
        // there.
        let otherClock = ManualClock(nowMilliseconds: fixture.store.clock.nowMilliseconds + 10_000)
        let otherQueue = JobQueue(database: fixture.store.database, clock: otherClock, configuration: fixture.queue.configuration)
        let (engine, run) = try await fixture.startBlockingRun(claimed)

        // The runner heartbeats every 10 ms. On PostgreSQL a rescue or a claim passes over
        // the job while a heartbeat holds it (HeldJobTests), so each is tried until it
        // gets the job; each heartbeat keeps the lease expired on the other clock.
        try await waitFor("the rescue to take the job back") { try await otherQueue.rescueExpiredLeases() == 1 }
        let claimedAgain = Mutex<ClaimedJob?>(nil)
        try await waitFor("the job claimed again") {
            let claimed = try await otherQueue.claim(owner: newOwner)
            claimedAgain.withLock { $0 = claimed }
            return claimed != nil
        }
        let rescuer = try #require(claimedAgain.withLock { $0 })
        #expect(rescuer.id == job.id && rescuer.attempt == 2)
        try await waitFor("the old attempt to stop") { engine.sawCancellation }
        await run.value

        #expect(engine.sawCancellation)
        let running = try #require(try await fixture.job(job.id))
        #expect(running.state == .running && running.leaseOwner == newOwner && running.attempts == 2)
        #expect(try await fixture.balance() == Balance(available: 7, held: 3, received: 10, spent: 0))
        // The new owner still needs the upload.
        #expect(try await fixture.uploadKept("up_rescued"))
        #expect(try await otherQueue.succeed(rescuer.claim) == .settled(.succeeded))
        #expect(try await fixture.balance() == Balance(available: 7, held: 0, received: 10, spent: 3))
        #expect(try await fixture.store.violations() == [])
    }

    /// SQLite's single write lock is what makes the heartbeats fail here, so this runs on
    /// SQLite whatever backend the run uses.
    @Test func aFailedHeartbeatIsTriedAgainAndTheJobStillSucceeds() async throws {
        let fixture = try await WorkerFixture(sqlite: true)
        defer { fixture.remove() }
        let job = try await fixture.enqueue(credits: 3, uploadID: "up_busy")
        // The runner's own connections, as another process's, giving up on a lock after 50 ms.
        var configuration = SQLiteDatabase.Configuration()
        configuration.busyTimeoutMilliseconds = 50
        let runnerDatabase = try await AurisStore.open(dataDirectory: fixture.files.dataDirectory, configuration: configuration)
        let runnerQueue = JobQueue(database: runnerDatabase, clock: fixture.store.clock, configuration: fixture.queue.configuration)
        let claimed = try #require(try await runnerQueue.claim(owner: WorkerFixture.workerID))
        let (engine, run) = try await fixture.startBlockingRun(claimed, queue: runnerQueue)

        // Hold the write lock for 300 ms: every heartbeat in that time fails as busy.
        _ = try await fixture.store.database.write { _ in usleep(300_000) }
        let progressAfterLock = try #require(try await fixture.job(job.id)).progress
        try await waitFor("a heartbeat after the lock") { try await fixture.job(job.id)!.progress > progressAfterLock }
        engine.release()
        await run.value

        #expect(!engine.sawCancellation)
        #expect(try #require(try await fixture.job(job.id)).state == .succeeded)
        #expect(try await fixture.balance() == Balance(available: 7, held: 0, received: 10, spent: 3))
        #expect(try await fixture.store.violations() == [])
    }

    @Test func theEndOfTheShutdownGraceGivesTheLeaseBack() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let (job, claimed) = try await fixture.enqueueAndClaim(uploadID: "up_drain")
        let (engine, run) = try await fixture.startBlockingRun(claimed)

        fixture.draining.begin(graceMilliseconds: 0)
        await run.value

        #expect(engine.sawCancellation)
        let queued = try #require(try await fixture.job(job.id))
        // Back in the queue, the attempt not counted, the credits still held.
        #expect(queued.state == .queued && queued.leaseOwner == nil && queued.attempts == 0)
        #expect(try await fixture.balance() == Balance(available: 7, held: 3, received: 10, spent: 0))
        #expect(try await fixture.uploadKept("up_drain"))
        #expect(try await fixture.claim()?.attempt == 1)
        #expect(try await fixture.store.violations() == [])
    }
}
