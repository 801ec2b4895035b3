public import Billing
public import Database
import Payments
public import Queue

/// A database in a temporary folder with the whole schema, and the types tests use on it.
public struct TestStore: Sendable {
    /// The whole schema, as the command line opens it.
    public static let migrations = AurisStore.migrations + PaymentsMigrations.all

    public let directory: TemporaryDirectory
    public let database: DatabaseQueue
    public let clock: ManualClock

    public static func make(_ label: String = "auris-store") async throws -> TestStore {
        let directory = try TemporaryDirectory(label)
        let database = try await AurisStore.open(dataDirectory: directory.path, migrations: Self.migrations)
        return TestStore(directory: directory, database: database, clock: ManualClock())
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

    /// Another connection set on the same file, as another process would have.
    public func reopen() async throws -> DatabaseQueue {
        try await AurisStore.open(dataDirectory: directory.path, migrations: Self.migrations)
    }
}
