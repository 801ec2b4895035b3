import Foundation

/// A fresh folder under the system's temporary folder, removed by `remove()`: the one
/// temporary-folder helper of every test target.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "auris-test") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func appending(_ component: String) -> String {
        (path as NSString).appendingPathComponent(component)
    }

    /// Writes `bytes` to the file `name` in the folder and returns its path.
    @discardableResult
    public func write(_ bytes: some Sequence<UInt8>, to name: String) throws -> String {
        let file = appending(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Writes `text` as UTF-8 to the file `name` in the folder and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
