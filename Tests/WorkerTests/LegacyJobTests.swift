import AurisTestSupport
import Billing
import Database
import Dubbing
import Foundation
import MediaStore
@testable import Queue
import Testing
@testable import Worker

/// A job queued before uploads had ids, whose payload named its files by absolute path,
/// still runs after the upgrade, and its upload is still found by id. Such data folders
/// exist only on SQLite, so this runs on SQLite whatever backend the run uses.
@Suite struct LegacyJobTests {
    @Test func aJobQueuedWithUploadPathsRunsAfterTheUpgrade() async throws {
        let directory = try TemporaryDirectory("auris-legacy")
        defer { directory.remove() }
        let path = directory.appending("auris.sqlite")
        let clock = ManualClock()
        // The schema before upload ids, and a job as the API queued it then, from a data
        // folder that has moved since.
        let before = try await SQLiteDatabase.open(path: path, migrations: BillingMigrations.all + [QueueMigrations.all[0]])
        let account = try await Accounts(database: before, clock: clock).create(name: "Ada", signupCredits: 10).id
        let payload = """
            {"sourceAudioPath":"/srv/old-data/uploads/up_legacy/source",\
            "subtitlesPath":"/srv/old-data/uploads/up_legacy/subtitles",\
            "targetLanguage":"fr","keepBackground":false,"durationMilliseconds":20000}
            """
        let now = clock.nowMilliseconds
        try await before.write { db in
            try Ledger(db).hold(id: "hold:dub_legacy", account: account, amount: 3, reference: "dub_legacy", at: now)
            try db.execute(
                """
                INSERT INTO jobs (id, account_id, state, run_at_ms, max_attempts, hold_id, credits, duration_ms, payload,
                    created_at_ms, updated_at_ms)
                VALUES ('dub_legacy', ?, 'queued', ?, 5, 'hold:dub_legacy', 3, 20000, ?, ?, ?)
                """,
                account.rawValue, now, payload, now, now)
            try Lanes(db: db).queued(account: account.rawValue, runAtMilliseconds: now)
        }

        let database = try await AurisStore.open(dataDirectory: directory.path)
        let queue = JobQueue(database: database, clock: clock)
        let files = JobFiles(dataDirectory: directory.path)
        try files.createDirectories()
        let uploadFolder = directory.path + "/uploads/up_legacy"
        try FileManager.default.createDirectory(atPath: uploadFolder, withIntermediateDirectories: true)
        for name in ["source", "subtitles"] {
            _ = FileManager.default.createFile(atPath: uploadFolder + "/" + name, contents: Data("upload".utf8))
        }
        #expect(try await queue.hasUnfinishedJob(uploadID: "up_legacy"))

        let claimed = try #require(try await queue.claim(owner: WorkerFixture.workerID))
        #expect(claimed.uploadID == "up_legacy")
        let engine = FakeEngine(.succeed)
        // The folder Auris always wrote uploads to is the local media store's layout.
        let media = LocalFolderMediaStore(root: directory.path)
        await WorkerFixture.runner(engine, queue: queue, files: files, media: media, draining: DrainState()).run(claimed)

        #expect(engine.readSources == ["audio": "upload", "subtitles": "upload"])
        #expect(try await queue.job(id: "dub_legacy")?.state == .succeeded)
        #expect(!FileManager.default.fileExists(atPath: uploadFolder))
        #expect(try await media.sizeBytes(of: .result(jobID: "dub_legacy", fileExtension: "mp3")) != nil)
        #expect(try await Accounts(database: database, clock: clock).balance(of: account).spent == 3)
        #expect(try await AurisStore.violations(in: database) == [])
    }
}
