import Crypto
import Database
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A new file written chunk by chunk as an upload arrives, with a byte limit and a
/// running SHA-256, so nothing is ever held whole in memory.
final class FileSink {
    let path: String
    let limitBytes: Int64
    private(set) var writtenBytes: Int64 = 0
    private var descriptor: Int32
    private var hasher = SHA256()

    /// Creates the file; it must not exist yet.
    init(path: String, limitBytes: Int64) throws {
        self.path = path
        self.limitBytes = limitBytes
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Appends `buffer`; false (and nothing written) when it would pass the limit.
    func write(_ buffer: ByteBuffer) throws -> Bool {
        guard writtenBytes + Int64(buffer.readableBytes) <= limitBytes else { return false }
        try buffer.withUnsafeReadableBytes { bytes in
            hasher.update(bufferPointer: bytes)
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
        writtenBytes += Int64(buffer.readableBytes)
        return true
    }

    /// Closes the file and returns the hex SHA-256 of everything written.
    func finish() throws -> String {
        if descriptor >= 0 {
            let status = Glibc.close(descriptor)
            descriptor = -1
            guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        return hasher.finalize().hexString
    }
}
