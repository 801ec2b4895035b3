/// One versioned change of the schema, applied once per database, written for each dialect.
///
/// Each module owns its tables and lists its own migrations; the application passes
/// them to `SQLiteDatabase.open` or `PostgreSQLDatabase.open` in dependency order. An
/// identifier never changes once released: a new change is a new migration.
public struct Migration: Sendable {
    public let identifier: String
    /// The change on SQLite: STRICT tables, INTEGER for every whole number.
    public let sqlite: String
    /// The same change on PostgreSQL: BIGINT where SQLite says INTEGER, DOUBLE PRECISION
    /// for REAL, and the same names, constraints and indexes.
    public let postgresql: String

    public init(_ identifier: String, sqlite: String, postgresql: String) {
        self.identifier = identifier
        self.sqlite = sqlite
        self.postgresql = postgresql
    }

    /// A change written in SQL both dialects run the same way.
    public init(_ identifier: String, sql: String) {
        self.init(identifier, sqlite: sql, postgresql: sql)
    }

    func sql(for dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: sqlite
        case .postgresql: postgresql
        }
    }
}

enum Migrator {
    /// Applies the migrations not yet recorded, inside the caller's write transaction.
    ///
    /// Callers make several processes that start together take turns (`BEGIN IMMEDIATE`
    /// on SQLite, an advisory lock on PostgreSQL): the first applies everything, the
    /// others find it recorded and do nothing.
    static func apply(_ migrations: [Migration], in db: any SQLConnection) throws {
        try db.executeScript(
            db.dialect == .sqlite
                ? """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier TEXT PRIMARY KEY,
                    applied_at_ms INTEGER NOT NULL
                ) STRICT
                """
                : """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier TEXT PRIMARY KEY,
                    applied_at_ms BIGINT NOT NULL
                )
                """)
        let applied = Set(try db.query("SELECT identifier FROM schema_migrations") { row in row["identifier"] as String })
        var seen = Set<String>()
        for migration in migrations {
            precondition(seen.insert(migration.identifier).inserted, "duplicate migration \(migration.identifier)")
            guard !applied.contains(migration.identifier) else { continue }
            try db.executeScript(migration.sql(for: db.dialect))
            try db.execute(
                "INSERT INTO schema_migrations (identifier, applied_at_ms) VALUES (?, ?)",
                migration.identifier, SystemWallClock().nowMilliseconds
            )
        }
    }
}
