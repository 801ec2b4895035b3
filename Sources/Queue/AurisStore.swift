import Billing
public import Database
import Foundation

/// Opens the one database Billing and Queue share, and audits it whole.
public enum AurisStore {
    /// Every module's migrations, in dependency order.
    public static let migrations: [Migration] = BillingMigrations.all + QueueMigrations.all

    /// Opens (creating the folder and file if needed) `<dataDirectory>/auris.sqlite`.
    public static func open(
        dataDirectory: String, configuration: DatabaseQueue.Configuration = .init()
    ) async throws -> DatabaseQueue {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = (dataDirectory as NSString).appendingPathComponent("auris.sqlite")
        return try await DatabaseQueue.open(path: path, migrations: migrations, configuration: configuration)
    }

    /// Every broken invariant of the ledger and the queue, read from one snapshot.
    public static func violations(in database: DatabaseQueue) async throws -> [String] {
        try await database.read { db in
            try LedgerAudit(db).violations() + QueueAudit(db).violations()
        }
    }
}
