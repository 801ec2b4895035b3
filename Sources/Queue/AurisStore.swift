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
    public static let migrations: [Migration] = BillingMigrations.all + QueueMigrations.all

    /// Opens (creating the folder and file if needed) `<dataDirectory>/auris.sqlite`.
    /// - Parameter migrations: every migration this process needs; start with `AurisStore.migrations`.
    public static func open(
        dataDirectory: String, configuration: DatabaseQueue.Configuration = .init(), migrations: [Migration] = migrations
    ) async throws -> DatabaseQueue {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = (dataDirectory as NSString).appendingPathComponent("auris.sqlite")
        return try await DatabaseQueue.open(path: path, migrations: migrations, configuration: configuration)
    }

    /// Every broken invariant of the ledger and the queue, read from one snapshot, with
    /// those `moreAudits` find in the same snapshot (`PaymentsAudit`).
    public static func violations(
        in database: DatabaseQueue, moreAudits: [@Sendable (SQLiteConnection) throws -> [String]] = []
    ) async throws -> [String] {
        try await database.read { db in
            try LedgerAudit(db).violations() + QueueAudit(db).violations() + moreAudits.flatMap { try $0(db) }
        }
    }
}
