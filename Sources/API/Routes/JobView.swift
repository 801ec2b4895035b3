import Foundation
import Queue

/// A job as the API shows it (`GET /api/dub/{id}` and the list).
enum JobView {
    static func json(_ job: Job, publicURL: String) -> [String: JSONValue] {
        let request = try? JSONDecoder().decode(StoredPayload.self, from: Data(job.payload.utf8))
        var object: [String: JSONValue] = [
            "id": .string(job.id),
            "status": .string(job.state.rawValue),
            "cancel_requested": .bool(job.cancelRequested),
            "stage": .optional(job.stage),
            "progress": .double((job.progress * 1_000).rounded() / 1_000),
            "attempts": .integer(Int64(job.attempts)),
            "duration_seconds": .double(Double(job.durationMilliseconds) / 1_000),
            "credits_reserved": .integer(job.credits),
            "credits_charged": .integer(job.state == .succeeded ? job.credits : 0),
            "target_language": .optional(request?.targetLanguage),
            "created_at": .string(timestamp(job.createdAtMilliseconds)),
            "started_at": .optional(job.startedAtMilliseconds.map(timestamp)),
            "finished_at": .optional(job.finishedAtMilliseconds.map(timestamp)),
            "status_url": .string("\(publicURL)/api/dub/\(job.id)"),
            "result_url": job.state == .succeeded ? .string("\(publicURL)/api/dub/\(job.id)/result") : .null,
        ]
        if job.state.isFinished, let code = job.errorCode, job.state != .succeeded {
            object["error"] = .object(["code": .string(code), "message": .optional(job.errorMessage)])
        } else {
            object["error"] = .null
        }
        return object
    }

    static func timestamp(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
    }

    /// The part of the payload the view shows; the payload is a `DubbingRequest`.
    private struct StoredPayload: Decodable {
        var targetLanguage: String
    }
}
