import Billing
import MediaStore
import Queue

/// A received upload put in the media store, under its `uploads` row (docs/ARCHITECTURE.md,
/// "Media store"): the row is written before the first put, so whatever happens next, the
/// objects are either read by a job or found and removed by the sweeper.
struct StoredUpload: Sendable {
    let id: String
    let queue: JobQueue
    let media: any MediaStore

    /// Once the upload is recorded, puts its files with the digests computed while they were
    /// received, so the store refuses any other bytes. The spooled files are moved, not
    /// copied, where the store allows it: the caller must not read them afterwards.
    /// - Throws: 503 `media_store_unavailable` when the store fails; what was put is
    ///   removed again.
    /// - Parameter recorded: the write of the upload's row, awaited before the first put.
    static func put(
        _ upload: ReceivedUpload, id: String, recorded: Task<Void, any Error>, queue: JobQueue, media: any MediaStore
    ) async throws -> StoredUpload {
        try await recorded.value
        let stored = StoredUpload(id: id, queue: queue, media: media)
        do {
            try await media.put(movingFileAtPath: upload.audioPath, as: .uploadedAudio(uploadID: id), sha256Hex: upload.audioDigest)
            if let subtitlesPath = upload.subtitlesPath, let digest = upload.subtitlesDigest {
                try await media.put(movingFileAtPath: subtitlesPath, as: .uploadedSubtitles(uploadID: id), sha256Hex: digest)
            }
        } catch let error as MediaStoreError {
            await stored.remove()
            throw APIError.mediaStoreUnavailable("the upload could not be stored (\(error.code)); nothing was charged, try again")
        } catch {
            await stored.remove()
            throw error
        }
        return stored
    }

    /// Deletes the objects, then the row. A failure leaves the row, so the sweeper tries
    /// again later.
    func remove() async {
        do {
            try await media.deleteUpload(uploadID: id)
            try await queue.forgetUpload(id: id)
        } catch {}
    }
}
