import AurisTestSupport
import Database
import Testing

/// Rows are read by column name, so what a read returns depends on the name alone.
@Suite struct RowTests {
    let migrations = [
        Migration("test.1", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL) STRICT"),
    ]

    private func database(_ directory: TemporaryDirectory) async throws -> any SQLDatabase {
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: migrations)
        try await database.write { db in
            try db.execute("INSERT INTO items (name, size) VALUES ('small', 3), ('large', 40)")
        }
        return database
    }

    @Test func readsAColumnByItsName() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await database(directory)
        let items = try await database.read { db in
            try db.query("SELECT size, name FROM items ORDER BY id") { row in (row["name"] as String, row["size"] as Int64) }
        }
        #expect(items.map(\.0) == ["small", "large"])
        #expect(items.map(\.1) == [3, 40])
    }

    @Test func readsAnAliasedExpression() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await database(directory)
        let totals = try await database.read { db in
            try db.queryFirst("SELECT count(*) AS items, sum(size) AS total_size FROM items") { row in
                (row["items"] as Int64, row["total_size"] as Int64)
            }
        }
        #expect(totals?.0 == 2)
        #expect(totals?.1 == 43)
    }

    /// The read that a positional subscript would have shifted: a column added before
    /// the one read, in the same query text otherwise.
    @Test func addingAColumnLeavesReadsByNameUnchanged() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await database(directory)
        let (before, after) = try await database.read { db in
            (
                try db.query("SELECT name, size FROM items ORDER BY id") { row in (row["name"] as String, row["size"] as Int64) },
                try db.query("SELECT id, size * 2 AS doubled, name, 'extra' AS note, size FROM items ORDER BY id") { row in
                    (row["name"] as String, row["size"] as Int64)
                }
            )
        }
        #expect(before.map(\.0) == ["small", "large"] && before.map(\.1) == [3, 40])
        #expect(after.map(\.0) == before.map(\.0))
        #expect(after.map(\.1) == before.map(\.1))
    }

    @Test func anUnknownColumnNameTraps() async {
        await #expect(processExitsWith: .failure) { try await RowTests.readInteger("two", from: "SELECT 1 AS one") }
    }

    @Test func aNameTwoColumnsShareTraps() async {
        await #expect(processExitsWith: .failure) { try await RowTests.readInteger("one", from: "SELECT 1 AS one, 2 AS one") }
    }

    /// Runs in the exit tests' child process, which is expected to trap.
    private static func readInteger(_ column: String, from sql: String) async throws {
        let directory = try TemporaryDirectory()
        let database = try await SQLiteDatabase.open(path: directory.appending("db.sqlite"), migrations: [])
        _ = try await database.read { db in try db.queryFirst(sql) { row in row[column] as Int64 } }
    }
}
