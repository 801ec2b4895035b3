import Crypto
import Foundation

/// The SHA-256 a put is checked against, for a file the caller did not hash as it wrote it.
public enum FileDigest {
    /// - Throws: ``MediaStoreError`` `file_error` when the file cannot be read.
    public static func sha256Hex(ofFileAtPath path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw MediaStoreError.fileError("cannot open \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: FileChunks.chunkBytes), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw MediaStoreError.fileError("cannot read \(path): \(error)")
        }
        return Array(hasher.finalize()).hexString
    }
}
