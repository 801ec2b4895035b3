import Foundation
import Logging
import Queue

/// Removes results past their time to live, and uploads that no waiting or running job
/// uses any more (left by a server that died between receiving a file and queuing it).
struct Sweeper: Sendable {
    let files: JobFiles
    let queue: JobQueue
    let resultTTLHours: Int64
    let logger: Logger
    /// An upload this young may still be on its way into the queue.
    static let abandonedUploadAgeSeconds: Double = 6 * 3_600
    /// Entries looked at per sweep, so one sweep stays short on a huge folder.
    static let maxEntriesPerSweep = 10_000

    func sweep(now: Date = Date()) async {
        let manager = FileManager.default
        var removedResults = 0
        for name in (try? manager.contentsOfDirectory(atPath: files.resultsDirectory).prefix(Self.maxEntriesPerSweep)) ?? [] {
            let path = files.resultsDirectory + "/" + name
            guard let modified = modificationDate(path),
                now.timeIntervalSince(modified) > Double(resultTTLHours) * 3_600
            else { continue }
            if (try? manager.removeItem(atPath: path)) != nil { removedResults += 1 }
        }
        var removedUploads = 0
        for name in (try? manager.contentsOfDirectory(atPath: files.uploadsDirectory).prefix(Self.maxEntriesPerSweep)) ?? [] {
            let folder = files.uploadFolder(uploadID: name)
            guard let modified = modificationDate(folder), now.timeIntervalSince(modified) > Self.abandonedUploadAgeSeconds
            else { continue }
            do {
                guard try await !queue.hasUnfinishedJob(uploadID: name) else { continue }
                try manager.removeItem(atPath: folder)
                removedUploads += 1
            } catch {
                logger.warning("sweeping an upload failed", metadata: ["folder": "\(folder)", "error": "\(error)"])
            }
        }
        if removedResults + removedUploads > 0 {
            logger.info("swept", metadata: ["results": "\(removedResults)", "uploads": "\(removedUploads)"])
        }
    }

    private func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
