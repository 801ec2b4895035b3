import AurisTestSupport
import Billing
import Database
import Dubbing
import Foundation
import Logging
import Queue
import Testing
@testable import Worker

/// A store with one account, a queue and a runner on it, and the upload folders a job
/// reads, all in one temporary data folder.
struct WorkerFixture {
    static let workerID = "worker-1"
    static let signupCredits: Int64 = 10

    let store: TestStore
    let queue: JobQueue
    let files: JobFiles
    let account: AccountID
    let draining = DrainState()

    /// - Parameter sqlite: on SQLite whatever backend the run uses, for tests of SQLite itself.
    init(sqlite: Bool = false, _ configure: (inout JobQueue.Configuration) -> Void = { _ in }) async throws {
        store = try await sqlite ? TestStore.makeSQLite("auris-worker") : TestStore.make("auris-worker")
        queue = store.queue(configure)
        files = JobFiles(dataDirectory: store.directory.path)
        try files.createDirectories()
        account = try await store.accounts.create(name: "Ada", signupCredits: Self.signupCredits).id
    }

    func remove() {
        store.directory.remove()
    }

    func runner(_ engine: FakeEngine, queue: JobQueue? = nil) -> JobRunner {
        Self.runner(engine, queue: queue ?? self.queue, files: files, draining: draining)
    }

    /// A runner that reports progress, and so heartbeats, every 10 ms.
    static func runner(_ engine: FakeEngine, queue: JobQueue, files: JobFiles, draining: DrainState) -> JobRunner {
        var configuration = WorkerConfiguration(workerID: workerID, dataDirectory: files.dataDirectory)
        configuration.progressIntervalMilliseconds = 10
        return JobRunner(
            queue: queue, engine: engine, configuration: configuration, files: files, draining: draining,
            logger: Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Writes an upload's files as the API would, and queues a job that reads them.
    func enqueue(
        credits: Int64 = 3, hasSubtitles: Bool = false, uploadID: String = "up_\(UUID().uuidString)"
    ) async throws -> Job {
        try writeUpload(uploadID, hasSubtitles: hasSubtitles)
        let request = DubbingRequest(hasSubtitles: hasSubtitles, targetLanguage: "fr", durationMilliseconds: 20_000)
        let payload = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        return try await queue.enqueue(EnqueueRequest(
            account: account, credits: credits, durationMilliseconds: request.durationMilliseconds, payload: payload,
            uploadID: uploadID)).job
    }

    func writeUpload(_ uploadID: String, hasSubtitles: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: files.uploadFolder(uploadID: uploadID), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: files.uploadedAudioPath(uploadID: uploadID), contents: Data("audio".utf8))
        if hasSubtitles {
            FileManager.default.createFile(
                atPath: files.uploadedSubtitlesPath(uploadID: uploadID), contents: Data("1\n00:00:00,000 --> 00:00:01,000\nSalut\n".utf8))
        }
    }

    /// Starts running `claimed` on a blocking engine, and returns once the engine runs.
    func startBlockingRun(
        _ claimed: ClaimedJob, queue: JobQueue? = nil
    ) async throws -> (engine: FakeEngine, run: Task<Void, Never>) {
        let engine = FakeEngine(.blockUntilReleased)
        let runner = runner(engine, queue: queue)
        let run = Task { await runner.run(claimed) }
        try await engine.waitUntilStarted()
        return (engine, run)
    }

    /// Queues a job costing 3 credits and claims it for this fixture's worker.
    func enqueueAndClaim(uploadID: String, hasSubtitles: Bool = false) async throws -> (Job, ClaimedJob) {
        let job = try await enqueue(credits: 3, hasSubtitles: hasSubtitles, uploadID: uploadID)
        let claimed = try await claim()
        guard let claimed, claimed.id == job.id else { throw FixtureError("job \(job.id) was not claimed") }
        return (job, claimed)
    }

    /// Claims the next job for this fixture's worker.
    func claim() async throws -> ClaimedJob? {
        try await queue.claim(owner: Self.workerID)
    }

    func balance() async throws -> Balance {
        try await store.accounts.balance(of: account)
    }

    func job(_ id: String) async throws -> Job? {
        try await queue.job(id: id)
    }

    /// A job that ended without success gave every credit back and needs its upload no
    /// more, and the books still balance.
    func expectEverythingReleased(uploadID: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let balance = try await balance()
        #expect(balance == Balance(available: Self.signupCredits, held: 0, received: Self.signupCredits, spent: 0),
                sourceLocation: sourceLocation)
        #expect(!exists(files.uploadFolder(uploadID: uploadID)), sourceLocation: sourceLocation)
        #expect(try await store.violations() == [], sourceLocation: sourceLocation)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}
