import AurisTestSupport
import Database
import Foundation
import Logging
@testable import Queue
import Testing
@testable import Worker

/// The sweeper removes what no one needs any more, and nothing a job still needs.
@Suite struct SweeperTests {
    let hour: TimeInterval = 3_600

    private func sweeper(_ fixture: WorkerFixture, resultTTLHours: Int64 = 72) -> Sweeper {
        Sweeper(
            files: fixture.files, queue: fixture.queue, resultTTLHours: resultTTLHours,
            logger: Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    private func setModified(_ path: String, _ date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }

    @Test func removesResultsPastTheirTimeToLive() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let now = Date()
        let expired = fixture.files.resultPath(jobID: "dub_expired"), fresh = fixture.files.resultPath(jobID: "dub_fresh")
        for path in [expired, fresh] { FileManager.default.createFile(atPath: path, contents: Data("mp3".utf8)) }
        try setModified(expired, now - 73 * hour)
        try setModified(fresh, now - 71 * hour)

        await sweeper(fixture, resultTTLHours: 72).sweep(now: now)

        #expect(!fixture.exists(expired))
        #expect(fixture.exists(fresh))
    }

    @Test func removesOnlyUploadsNoUnfinishedJobReads() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let now = Date()
        _ = try await fixture.enqueue(uploadID: "up_running")
        _ = try #require(try await fixture.claim())
        _ = try await fixture.enqueue(uploadID: "up_waiting")
        let finished = try await fixture.enqueue(uploadID: "up_finished")
        #expect(try await fixture.queue.cancel(jobID: finished.id, account: fixture.account) == .canceled)
        try fixture.writeUpload("up_abandoned")
        try fixture.writeUpload("up_arriving")
        let old = now - Sweeper.abandonedUploadAgeSeconds - hour
        for id in ["up_waiting", "up_running", "up_finished", "up_abandoned"] {
            try setModified(fixture.files.uploadFolder(uploadID: id), old)
        }

        await sweeper(fixture).sweep(now: now)

        // Kept: a queued and a running job read them, and one may still be on its way in.
        #expect(fixture.exists(fixture.files.uploadedAudioPath(uploadID: "up_waiting")))
        #expect(fixture.exists(fixture.files.uploadedAudioPath(uploadID: "up_running")))
        #expect(fixture.exists(fixture.files.uploadedAudioPath(uploadID: "up_arriving")))
        // Removed: its job is over, or no job ever read it.
        #expect(!fixture.exists(fixture.files.uploadFolder(uploadID: "up_finished")))
        #expect(!fixture.exists(fixture.files.uploadFolder(uploadID: "up_abandoned")))
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
