import Foundation

/// The `name` and `filename` of a multipart part's `Content-Disposition: form-data; …`.
struct ContentDisposition: Equatable {
    var name: String?
    var filename: String?

    init(name: String?, filename: String?) {
        self.name = name
        self.filename = filename
    }

    /// Parses the header value; parameters may be quoted (`name="file"`) or bare.
    init(parsing value: String) {
        var parameters: [String: String] = [:]
        var rest = Substring(value)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop { $0 == " " || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var after = rest[rest.index(after: equals)...]
            let parsedValue: String
            if after.first == "\"" {
                after = after.dropFirst()
                var text = ""
                var escaped = false
                var end = after.endIndex
                for index in after.indices {
                    let character = after[index]
                    if escaped { text.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { end = index; break }
                    text.append(character)
                }
                parsedValue = text
                rest = end < after.endIndex ? after[after.index(after: end)...] : after[after.endIndex...]
            } else {
                let end = after.firstIndex(of: ";") ?? after.endIndex
                parsedValue = after[..<end].trimmingCharacters(in: .whitespaces)
                rest = after[end...]
            }
            parameters[key] = parsedValue
        }
        self.init(name: parameters["name"], filename: parameters["filename"])
    }
}
