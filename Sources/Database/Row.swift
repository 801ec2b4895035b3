/// The current row of a statement, valid only inside the closure that receives it.
///
/// ```swift
/// let names = try db.query("SELECT id, name FROM accounts") { row in
///     (row[0] as Int64, row[1] as String)
/// }
/// ```
public struct Row {
    let statement: OpaquePointer

    /// The value of the 0-based column `index`, as the type the context asks for.
    public subscript<Value: DatabaseValueConvertible>(_ index: Int32) -> Value {
        Value.read(from: statement, at: index)
    }
}
