import CSQLite
public import PostgresNIO

/// A Swift type that can be bound to a statement parameter and read from a result column,
/// on SQLite and on PostgreSQL (DatabaseValue+PostgreSQL.swift).
///
/// Columns are read without a type check at run time: the schema's STRICT tables and
/// NOT NULL constraints guarantee the stored type, so a mismatch is a programming error
/// and traps rather than being silently converted.
public protocol DatabaseValueConvertible: Sendable {
    /// Binds the value to the 1-based parameter `index` of `statement`.
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
    /// Reads the value from the 0-based column `index` of the current row.
    static func read(from statement: OpaquePointer, at index: Int32) -> Self
    /// Appends the value to a PostgreSQL statement's parameters.
    func append(to bindings: inout PostgresBindings)
    /// Reads the value from a PostgreSQL result cell.
    static func read(from cell: PostgresCell) -> Self
}

extension Int64: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self)
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> Int64 {
        precondition(sqlite3_column_type(statement, index) == SQLITE_INTEGER, "column \(index) is not an INTEGER")
        return sqlite3_column_int64(statement, index)
    }
}

extension Int: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> Int {
        Int(Int64.read(from: statement, at: index))
    }
}

extension Bool: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self ? 1 : 0)
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> Bool {
        Int64.read(from: statement, at: index) != 0
    }
}

extension Double: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_double(statement, index, self)
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> Double {
        let type = sqlite3_column_type(statement, index)
        precondition(type == SQLITE_FLOAT || type == SQLITE_INTEGER, "column \(index) is not a REAL")
        return sqlite3_column_double(statement, index)
    }
}

extension String: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_text(statement, index, self, -1, csqlite_transient())
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> String {
        precondition(sqlite3_column_type(statement, index) == SQLITE_TEXT, "column \(index) is not TEXT")
        guard let text = sqlite3_column_text(statement, index) else { return "" }
        return String(cString: text)
    }
}

extension [UInt8]: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        withUnsafeBytes { bytes in
            sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), csqlite_transient())
        }
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> [UInt8] {
        precondition(sqlite3_column_type(statement, index) == SQLITE_BLOB, "column \(index) is not a BLOB")
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
    public static func read(from statement: OpaquePointer, at index: Int32) -> Wrapped? {
        sqlite3_column_type(statement, index) == SQLITE_NULL ? nil : Wrapped.read(from: statement, at: index)
    }
}
