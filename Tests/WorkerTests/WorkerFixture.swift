import AurisTestSupport
import Billing
import Database
import Dubbing
import Foundation
import Logging
import MediaStore
import Queue
import Testing
@testable import Worker

/// A store with one account, a queue and a runner on it, and the media store a job's
/// upload is read from (a folder in the temporary data folder, or a bucket prefix).
struct WorkerFixture {
    static let workerID = "worker-1"
    static let signupCredits: Int64 = 10

    let store: TestStore
    let queue: JobQueue
    let files: JobFiles
    let media: any MediaStore
    let account: AccountID
    let draining = DrainState()

    /// - Parameter sqlite: on SQLite whatever backend the run uses, for tests of SQLite itself.
    init(sqlite: Bool = false, _ configure: (inout JobQueue.Configuration) -> Void = { _ in }) async throws {
        store = try await sqlite ? TestStore.makeSQLite("auris-worker") : TestStore.make("auris-worker")
        queue = store.queue(configure)
        files = JobFiles(dataDirectory: store.directory.path)
        media = store.media
        try files.createDirectories()
        account = try await store.accounts.create(name: "Ada", signupCredits: Self.signupCredits).id
    }

    func remove() {
        store.directory.remove()
    }

    func runner(_ engine: any DubbingEngine, queue: JobQueue? = nil) -> JobRunner {
        Self.runner(engine, queue: queue ?? self.queue, files: files, media: media, draining: draining)
    }

    /// A runner that reports progress, and so heartbeats, every 10 ms.
    static func runner(
        _ engine: any DubbingEngine, queue: JobQueue, files: JobFiles, media: any MediaStore, draining: DrainState
    ) -> JobRunner {
        var configuration = WorkerConfiguration(workerID: workerID, dataDirectory: files.dataDirectory)
        configuration.media = media
        configuration.progressIntervalMilliseconds = 10
        return JobRunner(
            queue: queue, engine: engine, configuration: configuration, files: files, draining: draining,
            logger: Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Stores an upload as the API would, and queues a job that reads it.
    func enqueue(
        credits: Int64 = 3, hasSubtitles: Bool = false, uploadID: String = "up_\(UUID().uuidString)", video: VideoResult? = nil
    ) async throws -> Job {
        try await storeUpload(uploadID, hasSubtitles: hasSubtitles)
        let request = DubbingRequest(hasSubtitles: hasSubtitles, targetLanguage: "fr", durationMilliseconds: 20_000, video: video)
        let payload = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        return try await queue.enqueue(EnqueueRequest(
            account: account, credits: credits, durationMilliseconds: request.durationMilliseconds, payload: payload,
            uploadID: uploadID)).job
    }

    /// Records an upload and puts its files in the media store, as the API does.
    func storeUpload(_ uploadID: String, hasSubtitles: Bool = false) async throws {
        try await queue.recordUpload(id: uploadID, account: account)
        try await put("audio", as: .uploadedAudio(uploadID: uploadID))
        if hasSubtitles {
            try await put("1\n00:00:00,000 --> 00:00:01,000\nSalut\n", as: .uploadedSubtitles(uploadID: uploadID))
        }
    }

    func put(_ text: String, as key: MediaKey) async throws {
        let file = store.directory.appending("put-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        try await media.put(fileAtPath: file, as: key, sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: file))
    }

    /// Whether the media store holds `key`.
    func stored(_ key: MediaKey) async throws -> Bool {
        try await media.sizeBytes(of: key) != nil
    }

    /// Whether the upload's source is in the store, and its row is kept.
    func uploadKept(_ uploadID: String) async throws -> Bool {
        let row = try await store.database.read { db in
            try db.queryFirst("SELECT 1 AS found FROM uploads WHERE id = ?", uploadID) { _ in true } ?? false
        }
        let audio = try await stored(.uploadedAudio(uploadID: uploadID))
        return audio && row
    }

    /// Whether neither the upload's objects nor its row are left.
    func uploadGone(_ uploadID: String) async throws -> Bool {
        let row = try await store.database.read { db in
            try db.queryFirst("SELECT 1 AS found FROM uploads WHERE id = ?", uploadID) { _ in true } ?? false
        }
        let audio = try await stored(.uploadedAudio(uploadID: uploadID))
        let subtitles = try await stored(.uploadedSubtitles(uploadID: uploadID))
        return !audio && !subtitles && !row
    }

    /// Starts running `claimed` on a blocking engine, and returns once the engine runs.
    func startBlockingRun(
        _ claimed: ClaimedJob, queue: JobQueue? = nil
    ) async throws -> (engine: FakeEngine, run: Task<Void, Never>) {
        let engine = FakeEngine(.blockUntilReleased)
        let runner = runner(engine, queue: queue)
        let run = Task { _ = await runner.run(claimed) }
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
        #expect(try await uploadGone(uploadID), sourceLocation: sourceLocation)
        #expect(try await store.violations() == [], sourceLocation: sourceLocation)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}
