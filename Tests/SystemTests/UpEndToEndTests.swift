import AurisTestSupport
import Billing
import Database
import Foundation
import Media
import Queue
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole system as an operator runs it: `auris up` with workers, the fake OpenAI on
/// 127.0.0.1, clients on the HTTP API. Every test ends with the ledger verified.
@Suite(.serialized, .timeLimit(.minutes(10))) struct UpEndToEndTests {
    struct Fixture {
        let store: TestStore
        let fake: FakeOpenAIServer
        let accounts: Accounts
        let apiKey: String
        let account: AccountID
        let database: any SQLDatabase

        static func make(credits: Int64 = 10) async throws -> Fixture {
            let store = try await TestStore.make("auris-system")
            let fake = FakeOpenAIServer()
            _ = try await fake.start()
            let accounts = Accounts(database: store.database)
            let created = try await accounts.create(name: "system", signupCredits: credits)
            return Fixture(store: store, fake: fake, accounts: accounts, apiKey: created.apiKey, account: created.id, database: store.database)
        }

        var directory: TemporaryDirectory { store.directory }

        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            store.environment.merging([
                "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL,
                "AURIS_RETRY_BASE_MS": "200", "AURIS_LEASE_SECONDS": "4", "AURIS_SHUTDOWN_GRACE_SECONDS": "5",
                "AURIS_POLL_MS": "100",
            ]) { $1 }.merging(extra) { $1 }
        }

        func clip(seconds: Int) async throws -> String {
            try await Tone(seconds: Double(seconds), sampleRate: 16_000, frequency: 330).write(to: directory.appending("clip-\(seconds)s.wav"))
        }

        /// What is left of jobs: objects in the media store, upload rows, and folders in
        /// the data folder's spool and work folders.
        func leftoverJobFiles() async throws -> [String] {
            let files = JobFiles(dataDirectory: directory.path)
            let folders = try [files.spoolDirectory, files.workDirectory].flatMap { folder in
                try FileManager.default.contentsOfDirectory(atPath: folder).map { folder + "/" + $0 }
            }
            let rows = try await database.read { db in try db.query("SELECT id FROM uploads") { row in "row " + (row["id"] as String) } }
            return try await TestMedia.keys(in: store.media) + rows + folders
        }

        func tearDown() async {
            await fake.stop()
            directory.remove()
        }
    }

    @Test func uploadPollAndDownloadADubbedResult() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        let up = try await AurisUp.start(dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment())
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let (status, accepted) = try await client.dub(file: try await fixture.clip(seconds: 6), fields: ["target_language": "fr"])
        #expect(status == 202, "\(accepted)")
        let id = try #require(accepted["id"] as? String)
        #expect(accepted["credits_reserved"] as? Int == 1)
        let job = try await client.waitForJob(id)
        #expect(job["status"] as? String == "succeeded", "\(job)\n\(up.log())")
        #expect(job["credits_charged"] as? Int == 1)

        let (resultStatus, result) = try await client.get("/api/dub/\(id)/result")
        #expect(resultStatus == 200)
        let resultPath = fixture.directory.appending("result.mp3")
        try result.write(to: URL(fileURLWithPath: resultPath))
        let info = try AudioProbe().probe(fileAtPath: resultPath)
        #expect(abs(info.durationMilliseconds - 6_000) <= 150, "result lasts \(info.durationMilliseconds) ms")

        #expect(try await fixture.accounts.balance(of: fixture.account) == Balance(available: 9, held: 0, received: 10, spent: 1))
        let stats = fixture.fake.stats()
        #expect(stats.answered["transcriptions"] == 1)
        #expect(stats.answered["speech"] == 2)
        #expect(stats.duplicates.isEmpty)
        #expect(try await up.stop() == 0)
        #expect(try await AurisStore.violations(in: fixture.database) == [])
        try expectRequestLogLine(in: up.logPath, path: "/api/dub/\(id)")
        // Only the result and its transcript are left: the upload went with its job's end.
        try await waitUntil("only the result and its transcript to be left") {
            try await Set(fixture.leftoverJobFiles()) == ["results/\(id).mp3", "results/\(id).transcript.json"]
        }
    }

    @Test func transientFaultsAreRetriedAndChargedOnce() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        fixture.fake.inject(.serverError, on: .chatCompletions, count: 1)
        fixture.fake.inject(.rateLimited(retryAfterSeconds: 1), on: .speech, count: 1, afterCalls: 1)
        let up = try await AurisUp.start(dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment())
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let (_, accepted) = try await client.dub(file: try await fixture.clip(seconds: 9), fields: ["target_language": "de"])
        let id = try #require(accepted["id"] as? String)
        let job = try await client.waitForJob(id)
        #expect(job["status"] as? String == "succeeded", "\(job)\n\(up.log())")
        #expect((job["attempts"] as? Int ?? 0) >= 2)
        #expect(try await fixture.accounts.balance(of: fixture.account) == Balance(available: 9, held: 0, received: 10, spent: 1))
        let stats = fixture.fake.stats()
        #expect(stats.answered["transcriptions"] == 1, "the transcript of the first attempt was reused")
        #expect(stats.duplicates.isEmpty, "a step was paid twice: \(stats.duplicates)")
        try await up.stop()
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }

    @Test func aPermanentFaultFailsTheJobAndReleasesEveryCredit() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        fixture.fake.inject(.insufficientQuota, on: .transcriptions, count: 5)
        let up = try await AurisUp.start(dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment())
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let (_, accepted) = try await client.dub(file: try await fixture.clip(seconds: 25), fields: ["target_language": "es"])
        #expect(accepted["credits_reserved"] as? Int == 3)
        let id = try #require(accepted["id"] as? String)
        let job = try await client.waitForJob(id)
        #expect(job["status"] as? String == "failed")
        #expect((job["error"] as? [String: Any])?["code"] as? String == "insufficient_quota")
        #expect(job["attempts"] as? Int == 1, "a billing problem is not retried")
        #expect(try await fixture.accounts.balance(of: fixture.account) == Balance(available: 10, held: 0, received: 10, spent: 0))
        // The worker removes them just after the job's end commits.
        try await waitUntil("a failed job's work folder, result and upload to go", timeoutSeconds: 20) {
            try await fixture.leftoverJobFiles() == []
        }
        try await up.stop()
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }

    @Test func aWorkerKilledMidJobIsReplacedAndTheJobSucceedsOnceChargedOnce() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        fixture.fake.setLatency(milliseconds: 700, for: .speech)
        // Four speech calls at a time from the start (no first call alone to learn the
        // provider's limits), so the kill below finds the fifth in flight.
        let environment = fixture.environment(["AURIS_SPEECH_CONCURRENCY": "4", "AURIS_OPENAI_RATE_LIMITS": "0"])
        let up = try await AurisUp.start(dataDirectory: fixture.directory.path, workers: 1, environment: environment)
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        // 15 s gives five segments; four are synthesized at a time. Kill the worker once
        // the first four clips are saved and the fifth is in flight.
        let (_, accepted) = try await client.dub(file: try await fixture.clip(seconds: 15), fields: ["target_language": "it"])
        let id = try #require(accepted["id"] as? String)
        // The wait throws when it times out: a kill at the wrong moment would test nothing.
        try await waitUntil("four speech clips answered") { fixture.fake.answered(.speech) >= 4 }
        try await Task.sleep(for: .milliseconds(200))
        let workers = up.workerPIDs()
        try #require(workers.count == 1, "the worker to kill")
        for pid in workers { kill(pid, SIGKILL) }
        let job = try await client.waitForJob(id)
        #expect(job["status"] as? String == "succeeded", "\(job)\n\(up.log())")
        #expect(job["attempts"] as? Int == 2)
        #expect(try await fixture.accounts.balance(of: fixture.account) == Balance(available: 8, held: 0, received: 10, spent: 2))
        let stats = fixture.fake.stats()
        #expect(stats.answered["transcriptions"] == 1, "the rescued attempt resumed after transcription")
        #expect(stats.answered["chat_completions"] == 1, "the rescued attempt resumed after translation")
        // Only the clip in flight when the worker died may be asked for again; the four
        // saved ones are not paid twice.
        #expect((stats.duplicates["speech"] ?? []).count <= 1, "saved clips were paid twice: \(stats.duplicates)")
        #expect(stats.answered["speech"] ?? 0 <= 6)
        #expect(up.log().contains("released the leases of a stopped worker"))
        try await up.stop()
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }

    @Test func cancellingARunningJobStopsItAndReleasesItsCredits() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        fixture.fake.setLatency(milliseconds: 1_000, for: .speech)
        let up = try await AurisUp.start(dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment())
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let (_, accepted) = try await client.dub(file: try await fixture.clip(seconds: 30), fields: ["target_language": "nl"])
        let id = try #require(accepted["id"] as? String)
        // A worker claimed the job and is synthesizing: otherwise "no synthesis after the
        // cancel" would hold for a job nobody ever ran.
        let running = try await client.waitForStage(id, "synthesize")
        #expect(running["status"] as? String == "running")
        try await waitUntil("a speech request") { fixture.fake.calls(.speech) > 0 }
        let (cancelStatus, _) = try await client.delete("/api/dub/\(id)")
        #expect(cancelStatus == 202)
        let job = try await client.waitForJob(id, timeoutSeconds: 30)
        #expect(job["status"] as? String == "canceled", "\(job)\n\(up.log())")
        #expect(job["credits_charged"] as? Int == 0)
        let speechCallsAtEnd = fixture.fake.calls(.speech)
        try await Task.sleep(for: .seconds(2))
        #expect(fixture.fake.calls(.speech) == speechCallsAtEnd, "synthesis went on after the cancel")
        // The worker removes them just after the job's end commits.
        try await waitUntil("a canceled job's work folder, result and upload to go", timeoutSeconds: 20) {
            try await fixture.leftoverJobFiles() == []
        }
        #expect(try await fixture.accounts.balance(of: fixture.account) == Balance(available: 10, held: 0, received: 10, spent: 0))
        let (again, _) = try await client.delete("/api/dub/\(id)")
        #expect(again == 409)
        try await up.stop()
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }

    @Test func theOfflineEngineDubsAClipWithSubtitlesIntoFrench() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        // OpenAI's key and address point at a live fake, so a call the offline engine
        // should not make would reach it and be counted.
        let up = try await AurisUp.start(
            dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment(["AURIS_ENGINE": "offline"]))
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let subtitles = fixture.directory.appending("fr.srt")
        try "1\n00:00:00,500 --> 00:00:03,000\nBonjour tout le monde.\n\n2\n00:00:04,000 --> 00:00:07,500\nCeci est un essai de doublage.\n"
            .write(toFile: subtitles, atomically: true, encoding: .utf8)
        let clip = try await fixture.clip(seconds: 8)
        let (refused, refusal) = try await client.dub(file: clip, fields: ["target_language": "fr"])
        #expect(refused == 422 && (refusal["error"] as? [String: Any])?["code"] as? String == "engine_unsupported")
        let (status, accepted) = try await client.dub(file: clip, fields: ["target_language": "fr"], subtitles: subtitles)
        #expect(status == 202)
        let id = try #require(accepted["id"] as? String)
        let job = try await client.waitForJob(id)
        #expect(job["status"] as? String == "succeeded", "\(job)\n\(up.log())")
        let (_, result) = try await client.get("/api/dub/\(id)/result")
        let resultPath = fixture.directory.appending("offline.mp3")
        try result.write(to: URL(fileURLWithPath: resultPath))
        let info = try AudioProbe().probe(fileAtPath: resultPath)
        #expect(abs(info.durationMilliseconds - 8_000) <= 150)
        #expect(fixture.fake.stats().calls.values.reduce(0, +) == 0, "the offline engine needs no network: \(fixture.fake.stats().calls)")
        try await up.stop()
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }

    @Test func sigtermDrainsAndLeavesNoJobRunning() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.tearDown() } }
        fixture.fake.setLatency(milliseconds: 1_500, for: .speech)
        let up = try await AurisUp.start(
            dataDirectory: fixture.directory.path, workers: 1, environment: fixture.environment(["AURIS_SHUTDOWN_GRACE_SECONDS": "1"]))
        let client = APIClient(baseURL: up.baseURL, apiKey: fixture.apiKey)
        let (_, accepted) = try await client.dub(file: try await fixture.clip(seconds: 30), fields: ["target_language": "pt"])
        let id = try #require(accepted["id"] as? String)
        // Throws unless a worker claimed the job: a drain with nothing running proves nothing.
        let running = try await client.waitForStage(id, "synthesize")
        #expect(running["status"] as? String == "running" && running["attempts"] as? Int == 1)
        let started = Date()
        #expect(try await up.stop(timeoutSeconds: 30) == 0)
        #expect(Date().timeIntervalSince(started) < 20, "the drain took longer than its grace")
        let queue = JobQueue(database: fixture.database)
        let job = try #require(try await queue.job(id: id))
        #expect(job.state == .queued, "a job not finished in the grace is given back")
        #expect(job.leaseOwner == nil)
        // Given back by the draining worker itself, which refunds the attempt; a worker
        // that died instead leaves its lease to `up`, which keeps the attempt counted.
        #expect(job.attempts == 0, "the worker did not give the job back itself:\n\(up.log())")
        #expect(!up.log().contains("released the leases of a stopped worker"), "\(up.log())")
        #expect(!up.log().contains("child did not stop in time"), "\(up.log())")
        #expect(try await fixture.accounts.balance(of: fixture.account).held == 3)
        #expect(try await AurisStore.violations(in: fixture.database) == [])
    }
}

/// The request's log line is the one swift-log's `StreamLogHandler` writes: local time,
/// level, label, the metadata sorted by key, the source in brackets, the message.
func expectRequestLogLine(in logPath: String, path: String) throws {
    let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
    let line = try #require(lines.first { $0.contains("hb.request.path=\(path) ") }, "no request line for \(path)")
    let format = try Regex(
        #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} info auris\.api: hb\.request\.id=[0-9a-f]+ hb\.request\.method=GET hb\.request\.path=\S+ \[Hummingbird\] Request"#)
    #expect(line.wholeMatch(of: format) != nil, "\(line)")
}
