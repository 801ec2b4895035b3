import CSQLite
import PostgresNIO

/// The current row of a statement, valid only inside the closure that receives it.
///
/// Columns are read by name, never by position, so adding a column to a query cannot
/// shift what another read returns. An expression gets its name with `AS`:
///
/// ```swift
/// let names = try db.query("SELECT id, name, count(*) AS jobs FROM accounts GROUP BY id") { row in
///     (row["id"] as Int64, row["name"] as String, row["jobs"] as Int64)
/// }
/// ```
public struct Row {
    /// Result columns by name; a name that several columns share maps to `ambiguous`.
    typealias ColumnIndexes = [String: Int32]

    enum Storage {
        /// SQLite's statement, stepped to this row, and its columns found once per statement.
        case sqlite(statement: OpaquePointer, columns: ColumnIndexes)
        case postgresql(PostgresRandomAccessRow)
    }

    let storage: Storage

    private static let ambiguous: Int32 = -1

    /// The value of the column named `column`, as the type the context asks for.
    ///
    /// A name the query does not return, or returns twice, is a programming error and traps.
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value {
        switch storage {
        case .sqlite(let statement, let columns):
            guard let index = columns[column] else { preconditionFailure("the query returns no column named \(column)") }
            precondition(index != Self.ambiguous, "the query returns several columns named \(column)")
            return Value.read(from: statement, at: index)
        case .postgresql(let row):
            precondition(row.contains(column), "the query returns no column named \(column)")
            return Value.read(from: row[column])
        }
    }

    /// Found once per prepared statement: looking names up on every read cost thirty
    /// times the read itself on a job's 21 columns.
    static func columnIndexes(of statement: OpaquePointer) -> ColumnIndexes {
        var indexes: ColumnIndexes = [:]
        for index in 0..<sqlite3_column_count(statement) {
            guard let cName = sqlite3_column_name(statement, index) else { continue }
            let name = String(cString: cName)
            indexes[name] = indexes[name] == nil ? index : ambiguous
        }
        return indexes
    }
}
