import AsyncAlgorithms
import Hummingbird
import MediaStore
import NIOCore

/// A response body read from the media store as the client takes it: the store hands
/// over one chunk at a time through a channel that holds none, so a slow client slows
/// the read instead of filling memory, and a client that leaves stops it.
enum MediaResponseBody {
    static func streaming(_ key: MediaKey, from media: any MediaStore) -> ResponseBody {
        ResponseBody { writer in
            let chunks = AsyncThrowingChannel<ByteBuffer, any Error>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await media.read(key) { chunk in await chunks.send(chunk) }
                        chunks.finish()
                    } catch {
                        chunks.fail(error)
                    }
                }
                do {
                    for try await chunk in chunks { try await writer.write(chunk) }
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
            try await writer.finish(nil)
        }
    }
}
