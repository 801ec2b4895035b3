import AurisTestSupport
@testable import Database
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct SQLiteDatabaseTests {
    let migrations = [
        Migration("test.1", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER CHECK (size >= 0)) STRICT"),
        Migration("test.2", sql: "CREATE TABLE notes (item_id INTEGER NOT NULL REFERENCES items (id), body BLOB) STRICT"),
    ]

    @Test func opensInWALModeWithForeignKeys() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations)
        let (journal, foreignKeys, synchronous) = try await database.read { db in
            (
                try db.queryFirst("PRAGMA journal_mode") { row in row["journal_mode"] as String },
                try db.queryFirst("PRAGMA foreign_keys") { row in row["foreign_keys"] as Int64 },
                try db.queryFirst("PRAGMA synchronous") { row in row["synchronous"] as Int64 }
            )
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        #expect(synchronous == 2)  // FULL
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try db.execute("INSERT INTO notes (item_id) VALUES (42)") }
        }
    }

    @Test func writeCommitsAndRollsBackOnThrow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations)
        try await database.write { db in try db.execute("INSERT INTO items (name, size) VALUES (?, ?)", "kept", 1) }
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await database.write { db in
                try db.execute("INSERT INTO items (name, size) VALUES (?, ?)", "dropped", 2)
                throw Abort()
            }
        }
        let names = try await database.read { db in try db.query("SELECT name FROM items ORDER BY id") { row in row["name"] as String } }
        #expect(names == ["kept"])
    }

    @Test func errorsCarrySQLiteCodes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations)
        try await database.write { db in try db.execute("INSERT INTO items (name, size) VALUES ('a', 1)") }
        do {
            try await database.write { db in try db.execute("INSERT INTO items (name, size) VALUES ('a', 1)") }
            Issue.record("a duplicate name was accepted")
        } catch let error as DatabaseError {
            #expect(error.isUniqueViolation)
            #expect(error.message.contains("UNIQUE"))
            #expect(error.sql?.contains("INSERT INTO items") == true)
        }
        do {
            try await database.write { db in try db.execute("INSERT INTO items (name, size) VALUES ('b', -1)") }
            Issue.record("a negative size was accepted")
        } catch let error as DatabaseError {
            #expect(error.isCheckViolation)
        }
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try db.execute("INSERT INTO items (name) VALUES (?)", "too", "many") }
        }
    }

    @Test func typedColumnsRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations)
        let bytes: [UInt8] = [0, 1, 2, 255]
        let row = try await database.write { db in
            try db.execute("INSERT INTO items (name, size) VALUES ('x', NULL)")
            try db.execute("INSERT INTO notes (item_id, body) VALUES (1, ?)", bytes)
            return try db.queryFirst("""
                SELECT i.name, i.size, n.body, 1.5 AS ratio, 1 AS flag FROM items i JOIN notes n ON n.item_id = i.id
                """
            ) { row in
                (row["name"] as String, row["size"] as Int64?, row["body"] as [UInt8], row["ratio"] as Double,
                 row["flag"] as Bool)
            }
        }
        let values = try #require(row)
        #expect(values.0 == "x" && values.1 == nil && values.2 == bytes && values.3 == 1.5 && values.4)
    }

    @Test func migrationsApplyOnceWhenManyOpenTogether() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("db.sqlite")
        let migrations = migrations
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try await SQLiteDatabase.open(path: path, migrations: migrations) }
            }
            try await group.waitForAll()
        }
        let database = try await SQLiteDatabase.open(path: path, migrations: migrations)
        let applied = try await database.read { db in
            try db.query("SELECT identifier FROM schema_migrations ORDER BY identifier") { row in row["identifier"] as String }
        }
        #expect(applied == ["test.1", "test.2"])
    }

    @Test("reads beyond the pool of connections wait for one, each sees the committed rows, and the pool never grows past its limit")
    func readsShareABoundedPool() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = SQLiteDatabase.Configuration()
        configuration.readerCount = 1
        configuration.maxReaderCount = 3
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations, configuration: configuration)
        try await database.write { db in try db.execute("INSERT INTO items (name, size) VALUES ('a', 1), ('b', 2)") }
        let reads = try await withThrowingTaskGroup(of: (total: Int64, connection: ObjectIdentifier).self) { group in
            for _ in 0..<64 {
                group.addTask {
                    try await database.read { db in
                        // Held a moment, so reads overlap and some must wait.
                        usleep(200)
                        let total = try db.queryFirst("SELECT sum(size) AS total FROM items") { $0["total"] as Int64 } ?? 0
                        return (total, ObjectIdentifier(db as AnyObject))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reads.map(\.total) == Array(repeating: 3, count: 64))
        #expect((1...3).contains(Set(reads.map(\.connection)).count))
    }

    @Test func identifiersSortByTimeAndDiffer() {
        let first = RandomIdentifier.make(prefix: "dub", nowMilliseconds: 1_000)
        let second = RandomIdentifier.make(prefix: "dub", nowMilliseconds: 2_000)
        let twin = RandomIdentifier.make(prefix: "dub", nowMilliseconds: 2_000)
        #expect(first.hasPrefix("dub_") && first.count == 30)
        #expect(first < second)
        #expect(second != twin)
    }
}
