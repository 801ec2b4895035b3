import Foundation
import HTTPTransport
import NIOCore

/// A local file read in chunks: a file of any size is sent or streamed without holding it
/// in memory, and a retried request reads it again from the start. As a request body it
/// is `pacedByQueuedWrites`: each chunk waits for the one before to be written.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkBytes = 64 * 1024

    let path: String
    /// Whether each chunk first waits for the HTTP client's queued writes
    /// (`OutboundHTTP.awaitQueuedWrites`); only a request body needs it.
    var pacedByQueuedWrites = false

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let path: String
        let pacedByQueuedWrites: Bool

        mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw MediaStoreError.fileError("cannot open \(path)") }
            if pacedByQueuedWrites { try await OutboundHTTP.awaitQueuedWrites() }
            guard let data = try handle.read(upToCount: FileChunks.chunkBytes), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: FileHandle(forReadingAtPath: path), path: path, pacedByQueuedWrites: pacedByQueuedWrites)
    }

    /// The file's size in bytes.
    static func sizeBytes(atPath path: String) throws(MediaStoreError) -> Int64 {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? NSNumber
            else { throw MediaStoreError.fileError("\(path) is not a regular file") }
            return size.int64Value
        } catch let error as MediaStoreError {
            throw error
        } catch {
            throw .fileError("cannot read \(path): \(error)")
        }
    }
}
