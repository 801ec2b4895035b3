import AurisTestSupport
import Database
import Dubbing
import Foundation
import Logging
import MediaStore
@testable import Queue
import Testing
@testable import Worker

/// The sweeper removes what no one needs any more, and nothing a job still needs.
@Suite struct SweeperTests {
    let hourMilliseconds: Int64 = 3_600_000

    private func sweeper(_ fixture: WorkerFixture, resultTTLHours: Int64 = 72) -> Sweeper {
        Sweeper(
            files: fixture.files, queue: fixture.queue, media: fixture.media, resultTTLHours: resultTTLHours,
            clock: fixture.store.clock, logger: Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Queues, claims and succeeds a job, with its result in the store.
    private func succeededJob(_ fixture: WorkerFixture, uploadID: String) async throws -> Job {
        let job = try await fixture.enqueue(uploadID: uploadID)
        let claimed = try #require(try await fixture.claim())
        try await fixture.put("mp3", as: .result(jobID: job.id, fileExtension: "mp3"))
        #expect(try await fixture.queue.succeed(claimed.claim) == .settled(.succeeded))
        return job
    }

    @Test func removesResultsPastTheirTimeToLiveOnce() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let expired = try await succeededJob(fixture, uploadID: "up_expired")
        fixture.store.clock.advance(byMilliseconds: 2 * hourMilliseconds)
        let fresh = try await succeededJob(fixture, uploadID: "up_fresh")
        fixture.store.clock.advance(byMilliseconds: 71 * hourMilliseconds)

        await sweeper(fixture, resultTTLHours: 72).sweep()

        #expect(try await !fixture.stored(.result(jobID: expired.id, fileExtension: "mp3")))
        #expect(try await fixture.stored(.result(jobID: fresh.id, fileExtension: "mp3")))
        // Marked: the next sweep does not ask the store about it again.
        let due = try await fixture.queue.jobsWithResultsDue(finishedBeforeMilliseconds: fixture.store.clock.nowMilliseconds, limit: 10)
        #expect(due.map(\.jobID) == [fresh.id])
        #expect(try await fixture.store.violations() == [])
    }

    @Test func removesAVideoResultUnderItsOwnKey() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let video = VideoResult(container: .webm, keepsOriginal: true, copiesOriginal: true, originalLanguage: nil)
        let job = try await fixture.enqueue(uploadID: "up_video", video: video)
        let claimed = try #require(try await fixture.claim())
        try await fixture.put("webm", as: .result(jobID: job.id, fileExtension: "webm"))
        #expect(try await fixture.queue.succeed(claimed.claim) == .settled(.succeeded))
        fixture.store.clock.advance(byMilliseconds: 73 * hourMilliseconds)

        await sweeper(fixture, resultTTLHours: 72).sweep()

        #expect(try await !fixture.stored(.result(jobID: job.id, fileExtension: "webm")))
        #expect(try await fixture.queue.jobsWithResultsDue(finishedBeforeMilliseconds: fixture.store.clock.nowMilliseconds, limit: 10) == [])
    }

    @Test func removesOnlyUploadsNoUnfinishedJobReads() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        _ = try await fixture.enqueue(uploadID: "up_running")
        _ = try #require(try await fixture.claim())
        _ = try await fixture.enqueue(uploadID: "up_waiting")
        let finished = try await fixture.enqueue(uploadID: "up_finished")
        #expect(try await fixture.queue.cancel(jobID: finished.id, account: fixture.account) == .canceled)
        // Stored, and its server died before it was queued.
        try await fixture.storeUpload("up_abandoned", hasSubtitles: true)
        fixture.store.clock.advance(byMilliseconds: Sweeper.abandonedUploadAgeSeconds * 1_000 + hourMilliseconds)
        // Stored a moment ago: may still be on its way into the queue.
        try await fixture.storeUpload("up_arriving")

        await sweeper(fixture).sweep()

        // Kept: a queued and a running job read them, and one may still be on its way in.
        #expect(try await fixture.uploadKept("up_waiting"))
        #expect(try await fixture.uploadKept("up_running"))
        #expect(try await fixture.uploadKept("up_arriving"))
        // Removed, objects and row: its job is over, or no job ever read it.
        #expect(try await fixture.uploadGone("up_finished"))
        #expect(try await fixture.uploadGone("up_abandoned"))
    }

    @Test func removesWorkFoldersOfJobsThatEndedElsewhere() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let waiting = try await fixture.enqueue(uploadID: "up_waiting")
        let canceled = try await fixture.enqueue(uploadID: "up_canceled")
        #expect(try await fixture.queue.cancel(jobID: canceled.id, account: fixture.account) == .canceled)
        for id in [waiting.id, canceled.id, "dub_unknown"] {
            try FileManager.default.createDirectory(atPath: fixture.files.workFolder(jobID: id) + "/stages", withIntermediateDirectories: true)
        }

        await sweeper(fixture).sweep()

        // A job waiting for its next attempt resumes from its folder; the others never will.
        #expect(fixture.exists(fixture.files.workFolder(jobID: waiting.id)))
        #expect(!fixture.exists(fixture.files.workFolder(jobID: canceled.id)))
        #expect(!fixture.exists(fixture.files.workFolder(jobID: "dub_unknown")))
    }

    @Test func theUploadQuestionIsAnsweredFromAnIndex() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let plan = try await fixture.store.database.read { db in
            switch db.dialect {
            case .sqlite:
                return try db.query("EXPLAIN QUERY PLAN " + JobQueue.unfinishedJobOfUploadSQL, "up_x") { row in row["detail"] as String }
            case .postgresql:
                // A few rows read fastest without an index: ask whether the index can answer.
                try db.execute("SET LOCAL enable_seqscan = off")
                return try db.query("EXPLAIN " + JobQueue.unfinishedJobOfUploadSQL, "up_x") { row in row["QUERY PLAN"] as String }
            }
        }
        #expect(plan.contains { $0.contains("jobs_upload") }, "\(plan)")
    }
}
