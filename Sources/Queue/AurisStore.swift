import Billing
public import Database
import Foundation

/// Opens the one database Billing, Payments and Queue share, and audits the ledger and
/// the queue in it (docs/ARCHITECTURE.md, "One database, one transaction per state change").
///
/// Workers know only the ledger's and the queue's tables; the command line and the API
/// add the tables of the modules they link (`PaymentsMigrations.all`) through
/// `migrations`. Each module's migrations are independent, so processes that open the
/// same file with different lists agree.
public enum AurisStore {
    /// The ledger's and the queue's migrations, in dependency order.
    public static let migrations: [Migration] = BillingMigrations.all + QueueMigrations.all + [EnqueueFunction.firstMigration, EnqueueFunction.migration, ClaimFunctions.migration, ClaimFunctions.heldJobMigration]

    /// Opens the database: PostgreSQL when `databaseURL` is given (`postgres://…`),
    /// else SQLite in `<dataDirectory>/auris.sqlite` (creating the folder and file).
    /// - Parameter migrations: every migration this process needs; start with `AurisStore.migrations`.
    /// - Throws: `PostgreSQLURLError` for a URL that cannot be used.
    public static func open(
        dataDirectory: String, databaseURL: String? = nil, configuration: SQLiteDatabase.Configuration = .init(),
        postgreSQL: PostgreSQLDatabase.Configuration = .init(), migrations: [Migration] = migrations
    ) async throws -> any SQLDatabase {
        if let databaseURL {
            return try await PostgreSQLDatabase.open(
                url: PostgreSQLURL(databaseURL), migrations: migrations, configuration: postgreSQL)
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = (dataDirectory as NSString).appendingPathComponent("auris.sqlite")
        return try await SQLiteDatabase.open(path: path, migrations: migrations, configuration: configuration)
    }

    /// Every broken invariant of the ledger and the queue, read from one snapshot, with
    /// those `moreAudits` find in the same snapshot (`PaymentsAudit`).
    public static func violations(
        in database: any SQLDatabase, moreAudits: [@Sendable (any SQLConnection) throws -> [String]] = []
    ) async throws -> [String] {
        try await database.read { db in
            try LedgerAudit(db).violations() + QueueAudit(db).violations() + moreAudits.flatMap { try $0(db) }
        }
    }
}
