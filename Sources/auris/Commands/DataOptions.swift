import ArgumentParser
import Database
import Foundation
import Payments
import Queue

/// `--data-dir`, falling back to `AURIS_DATA_DIR`, then `./data`; `--database-url`,
/// falling back to `AURIS_DATABASE_URL`, then SQLite in the data folder.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder of the database, uploads and results (env: AURIS_DATA_DIR; default ./data).")
    var dataDirectory: String?

    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL for the ledger and the queue: postgres://user:password@host:port/dbname (env: AURIS_DATABASE_URL; default SQLite in the data folder).")
    var databaseURL: String?

    /// Absolute, so every process (and every path stored in a job) names the same files.
    var resolvedDataDirectory: String {
        let path = dataDirectory ?? Environment.value("AURIS_DATA_DIR") ?? "./data"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The PostgreSQL URL, or nil for SQLite.
    var resolvedDatabaseURL: String? { databaseURL ?? Environment.value("AURIS_DATABASE_URL") }

    /// Refuses a malformed URL before anything starts (the message never shows its password).
    func validate() throws {
        if let url = resolvedDatabaseURL {
            do { _ = try PostgreSQLURL(url) } catch { throw ValidationError("\(error)") }
        }
    }

    func openDatabase() async throws -> any SQLDatabase {
        try await AurisStore.open(
            dataDirectory: resolvedDataDirectory, databaseURL: resolvedDatabaseURL,
            migrations: AurisStore.migrations + PaymentsMigrations.all)
    }
}

/// Environment variables, with empty values treated as unset.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// A whole number from the environment; a malformed one is an error, not ignored.
    static func integer(_ name: String) throws -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text) else {
            throw ValidationError("\(name) must be a whole number, not \(text)")
        }
        return number
    }
}
