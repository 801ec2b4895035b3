public import Billing
public import Database
public import MediaStore
import Payments
public import Queue

/// A database with the whole schema and a temporary data folder, and the types tests use
/// on them: SQLite in the folder, or a fresh PostgreSQL database when `scripts/test` runs
/// the suites against PostgreSQL (`TestPostgreSQL`).
public struct TestStore: Sendable {
    /// The whole schema, as the command line opens it.
    public static let migrations = AurisStore.migrations + PaymentsMigrations.all

    public let directory: TemporaryDirectory
    public let database: any SQLDatabase
    public let clock: ManualClock
    /// The PostgreSQL database's URL; nil on SQLite.
    public let databaseURL: String?
    /// Uploads and results: a folder in `directory`, or a bucket prefix (`TestMedia`).
    public let media: any MediaStore
    /// The media store's `AURIS_MEDIA_URL`; nil for the folder.
    public let mediaURL: String?

    public static func make(_ label: String = "auris-store") async throws -> TestStore {
        try await make(label, databaseURL: try await TestPostgreSQL.freshDatabaseURL())
    }

    /// A store on SQLite whatever backend the run uses, for tests about SQLite itself
    /// (its file, its write lock, its old schemas).
    public static func makeSQLite(_ label: String = "auris-store") async throws -> TestStore {
        try await make(label, databaseURL: nil)
    }

    private static func make(_ label: String, databaseURL url: String?) async throws -> TestStore {
        let directory = try TemporaryDirectory(label)
        let database = try await AurisStore.open(dataDirectory: directory.path, databaseURL: url, migrations: Self.migrations)
        let media = try TestMedia.make(dataDirectory: directory.path)
        return TestStore(
            directory: directory, database: database, clock: ManualClock(), databaseURL: url, media: media.store, mediaURL: media.url)
    }

    /// What an `auris` process needs to open this store: the data folder, and the
    /// database URL on PostgreSQL.
    public var environment: [String: String] {
        var environment = ["AURIS_DATA_DIR": directory.path]
        if let databaseURL { environment["AURIS_DATABASE_URL"] = databaseURL }
        if let mediaURL { environment.merge(TestMedia.credentialsEnvironment) { $1 }; environment["AURIS_MEDIA_URL"] = mediaURL }
        return environment
    }

    public var accounts: Accounts { Accounts(database: database, clock: clock) }

    public func queue(_ configure: (inout JobQueue.Configuration) -> Void = { _ in }) -> JobQueue {
        var configuration = JobQueue.Configuration()
        configuration.retry = RetryPolicy(jitter: { 1 })
        configure(&configuration)
        return JobQueue(database: database, clock: clock, configuration: configuration)
    }

    /// Every broken invariant; tests expect this to be empty after every step.
    public func violations() async throws -> [String] {
        try await AurisStore.violations(in: database, moreAudits: [PaymentsAudit.check])
    }

    /// Another set of connections to the same database, as another process would have.
    public func reopen() async throws -> any SQLDatabase {
        try await AurisStore.open(dataDirectory: directory.path, databaseURL: databaseURL, migrations: Self.migrations)
    }
}
