import Foundation
public import NIOCore

/// The media store of one machine, and the default: objects are files under `root`
/// (`<root>/uploads/…`, `<root>/results/…`, the layout Auris always had). A put copies
/// through a temporary name and renames, so a reader never sees a partial object.
/// It hands out no URLs: the API streams the file itself.
public struct LocalFolderMediaStore: MediaStore {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Where `key` lives on disk.
    public func path(of key: MediaKey) -> String {
        (root as NSString).appendingPathComponent(key.path)
    }

    public func put(fileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws {
        let expected = sha256Hex.lowercased()
        let copy = try PartialFile(destinationPath: path(of: key))
        do {
            try Self.copy(fileAtPath: filePath, into: copy)
            let actual = copy.finalizeSHA256Hex()
            guard actual == expected else {
                throw MediaStoreError.integrity("the file's SHA-256 is \(actual), not the declared \(expected)")
            }
            try copy.commit()
        } catch {
            copy.discard()
            throw error
        }
    }

    /// Renames the file into place after syncing it, when it is on the store's disk: an
    /// upload's bytes are not read, hashed and written a second time (docs/BENCHMARKS.md,
    /// "http"). Elsewhere, a copy.
    public func put(movingFileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws {
        let destination = path(of: key)
        let descriptor = open(filePath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MediaStoreError.fileError("cannot open \(filePath): errno \(errno)") }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced else { throw MediaStoreError.fileError("cannot sync \(filePath): errno \(errno)") }
        let folder = (destination as NSString).deletingLastPathComponent
        // Twice: a delete may remove the emptied folder just as it is made.
        for _ in 0..<2 {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if rename(filePath, destination) == 0 { return }
            if errno != ENOENT { break }
        }
        guard errno == EXDEV else { throw MediaStoreError.fileError("cannot rename to \(destination): errno \(errno)") }
        try await put(fileAtPath: filePath, as: key, sha256Hex: sha256Hex)
    }

    @discardableResult
    public func get(_ key: MediaKey, toFileAtPath filePath: String) async throws -> Int64 {
        let source = path(of: key)
        guard let expectedBytes = try Self.sizeBytes(atPath: source) else { throw MediaStoreError.notFound(key) }
        let copy = try PartialFile(destinationPath: filePath)
        do {
            try Self.copy(fileAtPath: source, into: copy)
            guard copy.writtenBytes == expectedBytes else {
                throw MediaStoreError.integrity("\(key) changed while it was read: \(copy.writtenBytes) bytes, not \(expectedBytes)")
            }
            try copy.commit()
        } catch {
            copy.discard()
            throw error
        }
        return expectedBytes
    }

    @discardableResult
    public func read(_ key: MediaKey, into write: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Int64 {
        let source = path(of: key)
        guard FileManager.default.fileExists(atPath: source) else { throw MediaStoreError.notFound(key) }
        var sizeBytes: Int64 = 0
        for try await chunk in FileChunks(path: source) {
            sizeBytes += Int64(chunk.readableBytes)
            try await write(chunk)
        }
        return sizeBytes
    }

    public func sizeBytes(of key: MediaKey) async throws -> Int64? {
        try Self.sizeBytes(atPath: path(of: key))
    }

    public func delete(_ key: MediaKey) async throws {
        let file = path(of: key)
        if unlink(file) != 0 && errno != ENOENT {
            throw MediaStoreError.fileError("cannot remove \(file): errno \(errno)")
        }
        // Folders the key emptied (`uploads/<id>/`) go too, but not the top ones (`uploads/`).
        var folder = (file as NSString).deletingLastPathComponent
        var depth = key.segments.count - 1
        while depth > 1, rmdir(folder) == 0 {
            folder = (folder as NSString).deletingLastPathComponent
            depth -= 1
        }
    }

    public func presignedGetURL(for key: MediaKey, expiresInSeconds: Int) throws -> String? {
        nil
    }

    private static func sizeBytes(atPath path: String) throws(MediaStoreError) -> Int64? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try FileChunks.sizeBytes(atPath: path)
    }

    private static func copy(fileAtPath source: String, into copy: PartialFile) throws {
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw MediaStoreError.fileError("cannot open \(source)")
        }
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: FileChunks.chunkBytes), !chunk.isEmpty {
            try copy.write(chunk)
        }
    }
}
