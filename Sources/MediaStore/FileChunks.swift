import Foundation
import HTTPTransport
import NIOCore

/// A local file read in chunks, as an upload body: a file of any size is sent without
/// holding it in memory (each chunk waits for the one before to be written), and a
/// retried request reads it again from the start.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkBytes = 64 * 1024

    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let path: String

        mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw MediaStoreError.fileError("cannot open \(path)") }
            try await OutboundHTTP.awaitQueuedWrites()
            guard let data = try handle.read(upToCount: FileChunks.chunkBytes), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: FileHandle(forReadingAtPath: path), path: path)
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
