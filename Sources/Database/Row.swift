import CSQLite
import Foundation

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
    let statement: OpaquePointer

    /// The value of the column named `column`, as the type the context asks for.
    ///
    /// A name the query does not return is a programming error and traps.
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value {
        Value.read(from: statement, at: index(of: column))
    }

    /// A linear scan: a statement returns a few dozen columns at most, and comparing
    /// their C strings costs less than hashing the name into a dictionary would.
    private func index(of column: String) -> Int32 {
        let count = sqlite3_column_count(statement)
        let found: Int32? = column.withCString { name in
            for index in 0..<count {
                if let columnName = sqlite3_column_name(statement, index), strcmp(columnName, name) == 0 { return index }
            }
            return nil
        }
        guard let found else { preconditionFailure("the query returns no column named \(column)") }
        return found
    }
}
