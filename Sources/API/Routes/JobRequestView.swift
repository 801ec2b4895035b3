import Dubbing
import Foundation
import Synchronization

/// The parts of a job's request a job view shows, decoded once per job rather than on
/// every status poll: the JSON decoder was the largest single cost of a poll, and a
/// job's request never changes after its upload.
struct JobRequestView: Sendable {
    var targetLanguage: String?
    var speakers: String?
    var result: JSONValue

    init(payload: String) {
        let request = try? JSONDecoder().decode(DubbingRequest.self, from: Data(payload.utf8))
        targetLanguage = request?.targetLanguage
        speakers = request?.speakers.rawValue
        let container = request?.resultContainer ?? .mp3
        // What the result is, known from the upload on: its type and file extension, and
        // for a video whether the original audio comes back as a second track.
        result = .object([
            "content_type": .string(container.contentType),
            "file_extension": .string(container.fileExtension),
            "video": .bool(container.isVideo),
            "original_track": .bool(request?.video?.keepsOriginal ?? false),
        ])
    }

    /// Views of recently shown jobs, by job id. Each entry keeps the payload it was made
    /// from and is used only for that same payload.
    private static let recent = Mutex<[String: (payload: String, view: JobRequestView)]>([:])
    /// Entries at most; when full, the cache starts over (a poll then decodes once more).
    static let maxCachedJobs = 4_096

    static func of(jobID: String, payload: String) -> JobRequestView {
        if let cached = recent.withLock({ $0[jobID] }), cached.payload == payload { return cached.view }
        let view = JobRequestView(payload: payload)
        recent.withLock { recent in
            if recent.count >= maxCachedJobs { recent.removeAll(keepingCapacity: true) }
            recent[jobID] = (payload, view)
        }
        return view
    }
}
