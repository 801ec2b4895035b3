import Foundation
public import PostgresNIO

// How each value crosses to PostgreSQL. The PostgreSQL schema stores what SQLite's
// STRICT tables store: BIGINT for INTEGER (booleans as 0 and 1, as on SQLite), DOUBLE
// PRECISION for REAL, TEXT, BYTEA for BLOB. Expressions are read leniently where
// PostgreSQL's types differ from SQLite's for the same SQL: `sum()` of BIGINTs is NUMERIC,
// a comparison is BOOLEAN. A value that still does not fit is a programming error and traps.

extension Int64 {
    public func append(to bindings: inout PostgresBindings) { bindings.append(self) }
    public static func read(from cell: PostgresCell) -> Int64 {
        switch cell.dataType {
        case .numeric:
            guard let whole = Int64(decodeOrTrap(Decimal.self, cell).description) else { trap(cell) }
            return whole
        case .bool: return decodeOrTrap(Bool.self, cell) ? 1 : 0
        default: return decodeOrTrap(Int64.self, cell)
        }
    }
}

extension Int {
    public func append(to bindings: inout PostgresBindings) { bindings.append(Int64(self)) }
    public static func read(from cell: PostgresCell) -> Int { Int(Int64.read(from: cell)) }
}

extension Bool {
    public func append(to bindings: inout PostgresBindings) { bindings.append(Int64(self ? 1 : 0)) }
    public static func read(from cell: PostgresCell) -> Bool { Int64.read(from: cell) != 0 }
}

extension Double {
    public func append(to bindings: inout PostgresBindings) { bindings.append(self) }
    public static func read(from cell: PostgresCell) -> Double {
        switch cell.dataType {
        case .float4, .float8: decodeOrTrap(Double.self, cell)
        case .numeric: NSDecimalNumber(decimal: decodeOrTrap(Decimal.self, cell)).doubleValue
        default: Double(Int64.read(from: cell))
        }
    }
}

extension String {
    public func append(to bindings: inout PostgresBindings) { bindings.append(self) }
    public static func read(from cell: PostgresCell) -> String { decodeOrTrap(String.self, cell) }
}

extension [UInt8] {
    public func append(to bindings: inout PostgresBindings) { bindings.append(ByteBuffer(bytes: self)) }
    public static func read(from cell: PostgresCell) -> [UInt8] {
        Array(decodeOrTrap(ByteBuffer.self, cell).readableBytesView)
    }
}

extension Optional where Wrapped: DatabaseValueConvertible {
    public func append(to bindings: inout PostgresBindings) {
        switch self {
        case .some(let value): value.append(to: &bindings)
        case .none: bindings.appendNull()
        }
    }
    public static func read(from cell: PostgresCell) -> Wrapped? {
        cell.bytes == nil ? nil : Wrapped.read(from: cell)
    }
}

private func decodeOrTrap<T: PostgresDecodable>(_ type: T.Type, _ cell: PostgresCell) -> T {
    do {
        return try cell.decode(T.self)
    } catch {
        preconditionFailure("column \(cell.columnName) (\(cell.dataType)) is not a \(T.self): \(String(reflecting: error))")
    }
}

private func trap(_ cell: PostgresCell) -> Never {
    preconditionFailure("column \(cell.columnName) (\(cell.dataType)) does not fit an Int64")
}
