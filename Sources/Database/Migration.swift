/// One versioned change of the schema, applied once per database file.
///
/// Each module owns its tables and lists its own migrations; the application passes
/// them to `DatabaseQueue.open` in dependency order. An identifier never changes once
/// released: a new change is a new migration.
public struct Migration: Sendable {
    public let identifier: String
    public let sql: String

    public init(_ identifier: String, sql: String) {
        self.identifier = identifier
        self.sql = sql
    }
}

enum Migrator {
    /// Applies the migrations not yet recorded, inside the caller's write transaction.
    ///
    /// `BEGIN IMMEDIATE` makes several processes that start together take turns: the
    /// first applies everything, the others find it recorded and do nothing.
    static func apply(_ migrations: [Migration], in db: SQLiteConnection) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                identifier TEXT PRIMARY KEY,
                applied_at_ms INTEGER NOT NULL
            ) STRICT
            """)
        let applied = Set(try db.query("SELECT identifier FROM schema_migrations") { row in row["identifier"] as String })
        var seen = Set<String>()
        for migration in migrations {
            precondition(seen.insert(migration.identifier).inserted, "duplicate migration \(migration.identifier)")
            guard !applied.contains(migration.identifier) else { continue }
            try db.executeScript(migration.sql)
            try db.execute(
                "INSERT INTO schema_migrations (identifier, applied_at_ms) VALUES (?, ?)",
                migration.identifier, SystemWallClock().nowMilliseconds
            )
        }
    }
}
