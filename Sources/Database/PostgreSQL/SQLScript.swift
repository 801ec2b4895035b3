import Foundation

/// Splits a migration script into its statements: at each `;` that is not inside a
/// quoted string, a `$$` function body or a `--` comment.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inQuotes = false, inBody = false, inComment = false
        var previous: Character = " "
        for character in script {
            if inComment {
                if character == "\n" { inComment = false }
            } else if character == "'" && !inBody {
                inQuotes.toggle()
            } else if character == "$" && previous == "$" && !inQuotes {
                inBody.toggle()
            } else if character == "-" && previous == "-" && !inQuotes && !inBody {
                inComment = true
            } else if character == ";" && !inQuotes && !inBody {
                appendTrimmed(current, to: &statements)
                current = ""
                previous = " "
                continue
            }
            current.append(character)
            previous = character
        }
        appendTrimmed(current, to: &statements)
        return statements
    }

    /// Adds `text` unless it holds only blanks and comments.
    private static func appendTrimmed(_ text: String, to statements: inout [String]) {
        let meaningful = text.split(separator: "\n").contains { line in
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            return !trimmed.isEmpty && !trimmed.hasPrefix("--")
        }
        if meaningful { statements.append(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
