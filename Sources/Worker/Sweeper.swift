import Database
import Dubbing
import Foundation
import Logging
import MediaStore
import Queue

/// Removes what no job needs any more, deciding by rows, never by listing the media
/// store (docs/ARCHITECTURE.md, "Media store"):
/// - results of jobs finished longer ago than the TTL, each once (`result_expired`);
/// - uploads no queued or running job reads, recorded more than six hours ago (their
///   server died before the enqueue, or the worker could not delete them);
/// - this host's work folders whose job has finished or no longer exists (settled by a
///   rescue, or canceled while waiting for a retry).
/// Every host's sweeper may run at once: deleting what is already gone succeeds.
struct Sweeper: Sendable {
    let files: JobFiles
    let queue: JobQueue
    let media: any MediaStore
    let resultTTLHours: Int64
    let clock: any WallClock
    let logger: Logger
    /// An upload this young may still be on its way into the queue.
    static let abandonedUploadAgeSeconds: Int64 = 6 * 3_600
    /// Rows and folders looked at per sweep, so one sweep stays short.
    static let maxEntriesPerSweep = 500

    func sweep() async {
        let nowMilliseconds = clock.nowMilliseconds
        let results = await sweepResults(finishedBeforeMilliseconds: nowMilliseconds - resultTTLHours * 3_600_000)
        let uploads = await sweepUploads(createdBeforeMilliseconds: nowMilliseconds - Self.abandonedUploadAgeSeconds * 1_000)
        let workFolders = await sweepWorkFolders()
        if results + uploads + workFolders > 0 {
            logger.info("swept", metadata: ["results": "\(results)", "uploads": "\(uploads)", "work_folders": "\(workFolders)"])
        }
    }

    private func sweepResults(finishedBeforeMilliseconds: Int64) async -> Int {
        var expired: [String] = []
        do {
            for due in try await queue.jobsWithResultsDue(finishedBeforeMilliseconds: finishedBeforeMilliseconds, limit: Self.maxEntriesPerSweep) {
                let type = ResultContainer(payload: due.payload)
                try await media.deleteResult(jobID: due.jobID, fileExtension: type.fileExtension)
                expired.append(due.jobID)
            }
        } catch {
            logger.warning("sweeping results failed", metadata: ["error": "\(error)"])
        }
        do {
            try await queue.markResultsExpired(jobIDs: expired)
            return expired.count
        } catch {
            logger.warning("marking swept results failed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    private func sweepUploads(createdBeforeMilliseconds: Int64) async -> Int {
        var removed = 0
        do {
            for id in try await queue.abandonedUploads(createdBeforeMilliseconds: createdBeforeMilliseconds, limit: Self.maxEntriesPerSweep) {
                try await media.deleteUpload(uploadID: id)
                try await queue.forgetUpload(id: id)
                removed += 1
            }
        } catch {
            logger.warning("sweeping uploads failed", metadata: ["error": "\(error)"])
        }
        return removed
    }

    private func sweepWorkFolders() async -> Int {
        var removed = 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: files.workDirectory)) ?? []
        for name in names.prefix(Self.maxEntriesPerSweep) {
            do {
                if let job = try await queue.job(id: name), !job.state.isFinished { continue }
                try FileManager.default.removeItem(atPath: files.workFolder(jobID: name))
                removed += 1
            } catch {
                logger.warning("sweeping a work folder failed", metadata: ["folder": "\(name)", "error": "\(error)"])
            }
        }
        return removed
    }
}
