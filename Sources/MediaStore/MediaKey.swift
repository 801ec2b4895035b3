/// An object's name in a media store, such as `uploads/<id>/source`: checked once here so
/// that no store can be made to write outside its folder or bucket prefix, and no key
/// reads differently on disk and in S3.
public struct MediaKey: Sendable, Hashable, CustomStringConvertible {
    /// S3's limit on a key, in UTF-8 bytes, less room for a bucket prefix.
    static let maxUTF8Bytes = 900

    /// The key as written, `/`-separated.
    public let path: String

    /// - Throws: ``MediaStoreError`` `invalid_key` for an empty key, a leading or trailing
    ///   `/`, an empty, `.` or `..` segment, a backslash or a control character.
    public init(_ path: String) throws {
        guard !path.isEmpty else { throw MediaStoreError.invalidKey(path, "it is empty") }
        guard path.utf8.count <= Self.maxUTF8Bytes else {
            throw MediaStoreError.invalidKey(path, "it is longer than \(Self.maxUTF8Bytes) bytes")
        }
        if let bad = path.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\\" }) {
            throw MediaStoreError.invalidKey(path, "it holds the character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        guard !path.hasPrefix("/") else { throw MediaStoreError.invalidKey(path, "it starts with /") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw MediaStoreError.invalidKey(path, "it has an empty segment") }
            if segment == "." || segment == ".." { throw MediaStoreError.invalidKey(path, "it has a \(segment) segment") }
        }
        self.path = path
    }

    /// The `/`-separated parts, none empty.
    public var segments: [String] { path.split(separator: "/").map(String.init) }

    public var description: String { path }
}
