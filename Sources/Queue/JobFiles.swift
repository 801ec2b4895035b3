import Foundation

/// Where jobs' files live in the data folder, the one layout the API (uploads, results)
/// and the workers (work folders, results) share.
///
/// ```
/// data/uploads/<upload id>/source      the uploaded audio, until the job settles
/// data/uploads/<upload id>/subtitles   optional subtitles
/// data/work/<job id>/                  each stage's output, for resuming
/// data/results/<job id>.mp3            the dubbed audio, kept for the result TTL
/// ```
public struct JobFiles: Sendable {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public var uploadsDirectory: String { dataDirectory + "/uploads" }
    public var workDirectory: String { dataDirectory + "/work" }
    public var resultsDirectory: String { dataDirectory + "/results" }

    public func uploadFolder(uploadID: String) -> String { uploadsDirectory + "/" + uploadID }
    public func uploadedAudioPath(uploadID: String) -> String { uploadFolder(uploadID: uploadID) + "/source" }
    public func uploadedSubtitlesPath(uploadID: String) -> String { uploadFolder(uploadID: uploadID) + "/subtitles" }
    public func workFolder(jobID: String) -> String { workDirectory + "/" + jobID }
    public func resultPath(jobID: String) -> String { resultsDirectory + "/" + jobID + ".mp3" }

    /// Creates the folders; run once at start-up.
    public func createDirectories() throws {
        for directory in [uploadsDirectory, workDirectory, resultsDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }
}
