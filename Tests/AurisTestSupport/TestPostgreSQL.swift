import Database
import Foundation
import Queue
import Payments
import Synchronization

/// The PostgreSQL server `scripts/test` starts, when it does: `AURIS_TEST_POSTGRES_URL`
/// names it (a URL to its `postgres` database). Each store a test makes is then a fresh
/// database, copied from a template this process migrates once.
public enum TestPostgreSQL {
    /// The server's URL, or nil when the tests run on SQLite.
    public static var serverURL: String? {
        guard let url = ProcessInfo.processInfo.environment["AURIS_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// A new database with the whole schema, as a URL; nil on SQLite.
    public static func freshDatabaseURL() async throws -> String? {
        guard let serverURL else { return nil }
        let template = try await templateName.value
        let name = "auris_test_\(RandomIdentifier.make(prefix: "db", nowMilliseconds: 0).lowercased().filter { $0.isLetter || $0.isNumber })"
        let server = try PostgreSQLURL(serverURL)
        // FILE_COPY: a plain copy of the template's files, twice as fast as logging each
        // block (PostgreSQL 15's default) and without filling the write-ahead log.
        try await PostgreSQLDatabase.run(script: "CREATE DATABASE \(name) TEMPLATE \(template) STRATEGY FILE_COPY", at: server)
        // Without FORCE: a database some test still uses stays (PostgreSQL refuses to drop
        // it); killing its connections would fail that test.
        for old in recent.withLock({ $0.record(name) }) {
            try? await PostgreSQLDatabase.run(script: "DROP DATABASE IF EXISTS \(old)", at: server)
        }
        return try url(serverURL, database: name)
    }

    /// A new database with no schema at all, as a URL, for tests of an upgrade from an
    /// older schema; nil on SQLite.
    public static func emptyDatabaseURL() async throws -> String? {
        guard let serverURL else { return nil }
        let name = "auris_empty_\(RandomIdentifier.make(prefix: "db", nowMilliseconds: 0).lowercased().filter { $0.isLetter || $0.isNumber })"
        try await PostgreSQLDatabase.run(script: "CREATE DATABASE \(name)", at: try PostgreSQLURL(serverURL))
        for old in recent.withLock({ $0.record(name) }) {
            try? await PostgreSQLDatabase.run(script: "DROP DATABASE IF EXISTS \(old)", at: try PostgreSQLURL(serverURL))
        }
        return try url(serverURL, database: name)
    }

    /// The databases this process made lately; older ones are dropped once nobody uses
    /// them (a run makes hundreds, a few tests at a time).
    private static let recent = Mutex(RecentDatabases())

    private struct RecentDatabases {
        static let kept = 64
        var names: [String] = []

        /// Adds `name`; returns the names no longer kept.
        mutating func record(_ name: String) -> [String] {
            names.append(name)
            let dropped = Array(names.dropLast(Self.kept))
            names.removeFirst(dropped.count)
            return dropped
        }
    }

    /// The migrated template, made once per process; cloning it is much faster than
    /// migrating every test's database.
    private static let templateName = Task<String, any Error> {
        guard let serverURL else { throw FixtureError("no AURIS_TEST_POSTGRES_URL") }
        let name = "auris_template_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let server = try PostgreSQLURL(serverURL)
        try await PostgreSQLDatabase.run(script: "CREATE DATABASE \(name)", at: server)
        let database = try await PostgreSQLDatabase.open(url: server.with(database: name), migrations: TestStore.migrations)
        // A database is copied only while nobody is connected to it.
        await database.close()
        return name
    }

    /// `serverURL` with its database replaced by `database`.
    static func url(_ serverURL: String, database: String) throws -> String {
        guard var components = URLComponents(string: serverURL) else { throw FixtureError("bad AURIS_TEST_POSTGRES_URL") }
        components.path = "/" + database
        guard let url = components.string else { throw FixtureError("bad AURIS_TEST_POSTGRES_URL") }
        return url
    }
}
