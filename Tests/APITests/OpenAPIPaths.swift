/// The few keys of `docs/openapi.yaml` the tests check: each path's methods and the
/// status codes each method documents. A reader for this document's simple block
/// structure, not for YAML in general.
struct OpenAPIPaths: Equatable {
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var description: String { "\(method) \(path)" }
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "options", "head"]

    /// Status codes by operation.
    private(set) var statuses: [Operation: Set<Int>] = [:]

    init(yaml: String) {
        var stack: [(indent: Int, key: String)] = []
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            guard !content.isEmpty, !content.hasPrefix("#"), !content.hasPrefix("-"), let colon = content.firstIndex(of: ":") else {
                continue
            }
            var key = String(content[..<colon])
            if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            stack.append((indent, key))

            let keys = stack.map(\.key)
            guard keys.count >= 3, keys[0] == "paths", Self.methods.contains(keys[2]) else { continue }
            let operation = Operation(method: keys[2].uppercased(), path: keys[1])
            if keys.count == 3 { statuses[operation, default: []] = statuses[operation] ?? [] }
            if keys.count == 5, keys[3] == "responses", let status = Int(keys[4]) {
                statuses[operation, default: []].insert(status)
            }
        }
    }
}
