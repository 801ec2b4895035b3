import Crypto
import Foundation

/// A file being written under a temporary name beside its destination, hashed as it
/// grows, and renamed into place only when complete: a reader of the destination never
/// sees half a file, and a failed transfer leaves nothing behind (`discard`).
final class PartialFile {
    let destinationPath: String
    let temporaryPath: String
    private let handle: FileHandle
    private var hasher = SHA256()
    private(set) var writtenBytes: Int64 = 0

    init(destinationPath: String) throws(MediaStoreError) {
        self.destinationPath = destinationPath
        let url = URL(fileURLWithPath: destinationPath)
        let folder = url.deletingLastPathComponent().path
        temporaryPath = folder + "/." + url.lastPathComponent + ".partial-" + UUID().uuidString.prefix(8)
        // Twice: a local store's delete may remove the emptied folder just as it is made.
        var created = false
        for _ in 0..<2 where !created {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            created = FileManager.default.createFile(atPath: temporaryPath, contents: nil)
        }
        guard created, let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw .fileError("cannot create \(temporaryPath) (errno \(errno))")
        }
        self.handle = handle
    }

    func write(_ bytes: some DataProtocol) throws(MediaStoreError) {
        hasher.update(data: bytes)
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw .fileError("cannot write \(temporaryPath): \(error)")
        }
        writtenBytes += Int64(bytes.count)
    }

    /// The SHA-256 of what was written, lowercase hex. Call once, before `commit`.
    func finalizeSHA256Hex() -> String {
        hasher.finalize().hexString
    }

    /// Flushes to disk and renames the file to its destination, replacing what was there.
    func commit() throws(MediaStoreError) {
        do {
            try handle.synchronize()
            try handle.close()
            if rename(temporaryPath, destinationPath) != 0 {
                throw MediaStoreError.fileError("cannot rename to \(destinationPath): errno \(errno)")
            }
        } catch let error as MediaStoreError {
            discard()
            throw error
        } catch {
            discard()
            throw .fileError("cannot finish \(destinationPath): \(error)")
        }
    }

    /// Removes the temporary file; safe after `commit`.
    func discard() {
        try? handle.close()
        unlink(temporaryPath)
    }
}

extension Sequence<UInt8> {
    /// Lowercase hex, the form S3 and our callers write SHA-256 digests in.
    var hexString: String {
        var text = ""
        for byte in self {
            text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }
        return text
    }
}
