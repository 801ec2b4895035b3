import Foundation

extension String {
    /// The value without the white space around it, or nil when the value as sent is
    /// longer than `maxLength`. The spec's `maxLength` counts what the client sent, in
    /// Unicode scalars as JSON Schema counts, blanks included though the server drops
    /// them: every field that is trimmed is limited here, so none counts another way.
    func trimmed(maxLengthAsSent maxLength: Int) -> String? {
        guard unicodeScalars.count <= maxLength else { return nil }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
