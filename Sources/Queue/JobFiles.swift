public import Foundation

/// The host's own folders in the data folder: what one process writes while it works,
/// never shared between hosts. Uploads and results live in the media store instead.
///
/// ```
/// data/spool/<upload id>/    an upload being received and measured, until it is stored
/// data/work/<job id>/        the job's source fetched from the store, and each stage's
///                            output, for resuming; removed when the job ends
/// ```
public struct JobFiles: Sendable {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public var spoolDirectory: String { dataDirectory + "/spool" }
    public var workDirectory: String { dataDirectory + "/work" }

    public func spoolFolder(uploadID: String) -> String { spoolDirectory + "/" + uploadID }
    public func workFolder(jobID: String) -> String { workDirectory + "/" + jobID }

    /// Removes spool folders nothing was written to for `olderThanSeconds`: left by a
    /// server killed mid-upload. A live upload writes at least once per body timeout.
    public func removeStaleSpool(olderThanSeconds: Double, now: Date = Date()) {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: spoolDirectory)) ?? [] {
            let folder = spoolFolder(uploadID: name)
            let paths = [folder] + ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).map { folder + "/" + $0 }
            let newest = paths.compactMap { (try? manager.attributesOfItem(atPath: $0))?[.modificationDate] as? Date }.max()
            if let newest, now.timeIntervalSince(newest) > olderThanSeconds { try? manager.removeItem(atPath: folder) }
        }
    }

    /// Creates the folders; run once at start-up.
    public func createDirectories() throws {
        for directory in [spoolDirectory, workDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }
}
