/// A request body in Stripe's bracket form encoding, decoded into the nested structure
/// Stripe itself builds from it: `line_items[0][price_data][currency]=eur` becomes
/// `["line_items": ["0": ["price_data": ["currency": "eur"]]]]`. Lists are objects with
/// the keys "0", "1", … as Stripe's decoder sees them.
public indirect enum FakeStripeFormValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case object([String: FakeStripeFormValue])

    public subscript(key: String) -> FakeStripeFormValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public subscript(index: Int) -> FakeStripeFormValue? { self[String(index)] }

    /// The value when it is a string.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The fields when it is an object.
    public var fields: [String: FakeStripeFormValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    /// The elements when it is a list (keys exactly "0" … "n-1"), else nil.
    public var list: [FakeStripeFormValue]? {
        guard let fields, !fields.isEmpty else { return nil }
        let values = (0..<fields.count).compactMap { fields[String($0)] }
        return values.count == fields.count ? values : nil
    }

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .object(let fields): "[" + fields.keys.sorted().map { "\($0): \(fields[$0]!)" }.joined(separator: ", ") + "]"
        }
    }
}

/// Why a form body could not be decoded (Stripe answers these with a 400).
public struct FakeStripeFormError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

public enum FakeStripeForm {
    /// Decodes `application/x-www-form-urlencoded` with bracketed names: `+` and `%20`
    /// are spaces, `%XX` bytes must form UTF-8, brackets in names may be literal or
    /// percent-encoded, `name[]` appends to a list. A name given twice, or used both as a
    /// value and as an object, is an error.
    public static func decode(_ body: String) throws(FakeStripeFormError) -> FakeStripeFormValue {
        var root: [String: FakeStripeFormValue] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try percentDecode(parts[0])
            let value = try percentDecode(parts.count == 2 ? parts[1] : "")
            let path = try segments(of: name)
            try insert(value, at: path[...], into: &root, fullName: name)
        }
        return .object(root)
    }

    static func segments(of name: String) throws(FakeStripeFormError) -> [String] {
        guard let open = name.firstIndex(of: "[") else {
            guard !name.isEmpty else { throw FakeStripeFormError(description: "a field without a name") }
            return [name]
        }
        var segments = [String(name[..<open])]
        guard !segments[0].isEmpty else { throw FakeStripeFormError(description: "a field without a name: \(name)") }
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw FakeStripeFormError(description: "malformed brackets in \(name)")
            }
            segments.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return segments
    }

    private static func insert(
        _ value: String, at path: ArraySlice<String>, into object: inout [String: FakeStripeFormValue], fullName: String
    ) throws(FakeStripeFormError) {
        guard var key = path.first else { return }
        if key.isEmpty { key = String(object.count) }
        if path.count == 1 {
            guard object[key] == nil else { throw FakeStripeFormError(description: "\(fullName) is given more than once") }
            object[key] = .string(value)
            return
        }
        var child: [String: FakeStripeFormValue]
        switch object[key] {
        case nil: child = [:]
        case .object(let fields): child = fields
        case .string: throw FakeStripeFormError(description: "\(fullName) is both a value and an object")
        }
        try insert(value, at: path.dropFirst(), into: &child, fullName: fullName)
        object[key] = .object(child)
    }

    static func percentDecode(_ text: Substring) throws(FakeStripeFormError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw FakeStripeFormError(description: "a malformed percent escape in \(text)")
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw FakeStripeFormError(description: "the form is not UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
