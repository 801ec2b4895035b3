import API
import AurisTestSupport
import Billing
import Database
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import HummingbirdTesting
import Logging
import MediaStore
import Prometheus
import Queue
import Testing

/// A temporary data folder and database with two accounts, Alice and Bob, and the API
/// on top of them.
struct APIHarness {
    let store: TestStore
    var configuration: APIConfiguration
    let alice: Accounts.Created
    let bob: Accounts.Created

    /// - Parameter sqlite: on SQLite whatever backend the run uses, for tests of SQLite itself.
    static func make(
        signupCredits: Int64 = 10, sqlite: Bool = false, _ configure: (inout APIConfiguration) -> Void = { _ in }
    ) async throws -> APIHarness {
        let store = try await sqlite ? TestStore.makeSQLite("auris-api") : TestStore.make("auris-api")
        var configuration = APIConfiguration(dataDirectory: store.directory.path)
        configuration.publicURL = "http://auris.test"
        configuration.media = store.media
        configuration.signIn.bcryptCost = 4  // bcrypt's least: tests sign in often
        configure(&configuration)
        try JobFiles(dataDirectory: configuration.dataDirectory).createDirectories()
        let alice = try await store.accounts.create(name: "alice", signupCredits: signupCredits)
        let bob = try await store.accounts.create(name: "bob", signupCredits: signupCredits)
        return APIHarness(store: store, configuration: configuration, alice: alice, bob: bob)
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "auris.api.tests")
        logger.logLevel = .critical
        return logger
    }()

    /// The offline engine, which needs subtitles, as a server without an OpenAI key has.
    static func offlineEngine() throws -> any DubbingEngine {
        try EngineConfiguration(environment: [:]).makeEngine()
    }

    /// The application on the API's router, for `.router` tests.
    func application(engine: (any DubbingEngine)? = nil, database: (any SQLDatabase)? = nil) throws -> some ApplicationProtocol {
        // A registry per application: the metrics of one test's database, not the last scraped.
        let router = AurisAPI.router(
            configuration: configuration, database: database ?? store.database, engine: try engine ?? Self.offlineEngine(),
            registry: PrometheusCollectorRegistry(), clock: store.clock)
        return Application(router: router, logger: Self.quietLogger)
    }

    /// The whole application as `auris serve` runs it, for `.live` tests.
    func server(engine: (any DubbingEngine)? = nil) throws -> some ApplicationProtocol {
        try AurisAPI.application(
            configuration: configuration, database: store.database, engine: try engine ?? Self.offlineEngine(),
            logger: Self.quietLogger)
    }

    var queue: JobQueue { store.queue { $0 = configuration.queue } }

    func balance(_ account: Accounts.Created) async throws -> Balance {
        try await store.accounts.balance(of: account.id)
    }

    func jobCount() async throws -> Int {
        try await queue.countsByState().values.reduce(0, +)
    }

    /// What uploads left behind: objects under `uploads/` in the media store, their rows,
    /// and folders in this host's spool. A refused upload must leave none.
    func leftoverUploads() async throws -> [String] {
        let objects = try await TestMedia.keys(in: store.media).filter { $0.hasPrefix("uploads/") }
        let rows = try await store.database.read { db in
            try db.query("SELECT id FROM uploads") { row in "row " + (row["id"] as String) }
        }
        let spool = try FileManager.default.contentsOfDirectory(atPath: JobFiles(dataDirectory: configuration.dataDirectory).spoolDirectory).map { "spool " + $0 }
        return objects + rows + spool
    }

    func remove() { store.directory.remove() }

    /// What a worker does when a job succeeds: puts `bytes` as its result, under the key of
    /// its type, then settles its claim. The API never reads the bytes: any do.
    func succeed(_ claimed: ClaimedJob, result bytes: [UInt8], fileExtension: String = "mp3") async throws {
        let file = store.directory.appending("result-\(claimed.id).\(fileExtension)")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        try await configuration.media.put(
            fileAtPath: file, as: try MediaKey.result(jobID: claimed.id, fileExtension: fileExtension),
            sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: file))
        _ = try await queue.succeed(claimed.claim)
    }

    /// Runs `refusal`, then expects nothing to have changed: both balances, the number
    /// of jobs, and the uploads (a refused one leaves no object, row or spool folder).
    func expectNothingChanged(
        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ refusal: () async throws -> Void
    ) async throws {
        let before = (try await balance(alice), try await balance(bob), try await jobCount(), Set(try await leftoverUploads()))
        try await refusal()
        let after = (try await balance(alice), try await balance(bob), try await jobCount(), Set(try await leftoverUploads()))
        #expect(after.0 == before.0, comment, sourceLocation: sourceLocation)
        #expect(after.1 == before.1, comment, sourceLocation: sourceLocation)
        #expect(after.2 == before.2, comment, sourceLocation: sourceLocation)
        #expect(after.3 == before.3, comment, sourceLocation: sourceLocation)
    }
}

extension Accounts.Created {
    var bearer: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
}

extension TestResponse {
    /// The body as a JSON object; a test fails when it is not one.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return try #require(object as? [String: Any], sourceLocation: sourceLocation)
    }

    /// `error.code` of the JSON error shape.
    func errorCode() throws -> String? {
        let json = try self.json()
        guard json["ok"] as? Bool == false, let error = json["error"] as? [String: Any] else { return nil }
        return error["code"] as? String
    }
}

extension TestClientProtocol {
    /// `POST /api/dub` with a multipart form.
    func upload(
        _ form: MultipartForm, as account: Accounts.Created?, headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers: HTTPFields = account?.bearer ?? [:]
        headers[.contentType] = form.contentType
        headers.append(contentsOf: extra)
        return try await execute(uri: "/api/dub", method: .post, headers: headers, body: form.body)
    }

    func get(_ uri: String, as account: Accounts.Created?) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: account?.bearer ?? [:])
    }
}
