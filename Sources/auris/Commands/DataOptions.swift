import ArgumentParser
import Database
import Foundation
import MediaStore
import Payments
import Queue

/// `--data-dir`, falling back to `AURIS_DATA_DIR`, then `./data`; `--database-url`,
/// falling back to `AURIS_DATABASE_URL`, then SQLite in the data folder; `--media-url`,
/// falling back to `AURIS_MEDIA_URL`, then a folder in the data folder.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder of the database, uploads and results (env: AURIS_DATA_DIR; default ./data).")
    var dataDirectory: String?

    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL for the ledger and the queue: postgres://user:password@host:port/dbname (env: AURIS_DATABASE_URL; default SQLite in the data folder).")
    var databaseURL: String?

    @Option(
        name: .customLong("media-url"),
        help: "S3-compatible store for uploads and results: s3://BUCKET/PREFIX?endpoint=http://host:port&region=… with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (env: AURIS_MEDIA_URL; default a folder in the data folder).")
    var mediaURL: String?

    /// Absolute, so every process (and every path stored in a job) names the same files.
    var resolvedDataDirectory: String {
        let path = dataDirectory ?? Environment.value("AURIS_DATA_DIR") ?? "./data"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The PostgreSQL URL, or nil for SQLite.
    var resolvedDatabaseURL: String? { databaseURL ?? Environment.value("AURIS_DATABASE_URL") }

    /// The S3 URL, or nil for the local folder.
    var resolvedMediaURL: String? { mediaURL ?? Environment.value("AURIS_MEDIA_URL") }

    /// Refuses a malformed URL before anything starts (the message never shows its password).
    func validate() throws {
        if let url = resolvedDatabaseURL {
            do { _ = try PostgreSQLURL(url) } catch { throw ValidationError("\(error)") }
        }
        _ = try openMediaStore()
    }

    /// The media store; a malformed URL or missing `AWS_*` variable is refused with a
    /// message that never shows the secret.
    func openMediaStore() throws -> any MediaStore {
        do {
            return try MediaStores.open(
                url: resolvedMediaURL, dataDirectory: resolvedDataDirectory, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("AURIS_MEDIA_URL: \(error)")
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
