import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// A job as the API shows it (`GET /api/dub/{id}` and the list).
enum JobView {
    static func json(_ job: Job, publicURL: String) -> [String: JSONValue] {
        let request = JobRequestView.of(jobID: job.id, payload: job.payload)
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
            "target_language": .optional(request.targetLanguage),
            "created_at": .string(timestamp(job.createdAtMilliseconds)),
            "started_at": .optional(job.startedAtMilliseconds.map(timestamp)),
            "finished_at": .optional(job.finishedAtMilliseconds.map(timestamp)),
            "status_url": .string("\(publicURL)/api/dub/\(job.id)"),
            "result_url": job.state == .succeeded ? .string("\(publicURL)/api/dub/\(job.id)/result") : .null,
            "transcript_url": job.state == .succeeded ? .string("\(publicURL)/api/dub/\(job.id)/transcript") : .null,
            "speakers": .optional(request.speakers),
            "result": request.result,
        ]
        if job.state.isFinished, let code = job.errorCode, job.state != .succeeded {
            // The recorded message may hold a provider's raw answer or a worker's paths:
            // the customer gets the code and a sentence made for them.
            object["error"] = .object(["code": .string(code), "message": .string(JobErrorSentence.forCode(code))])
        } else {
            object["error"] = .null
        }
        return object
    }

    /// `2026-11-25T15:40:00.123Z`. Written out by hand: creating an `ISO8601DateFormatter`
    /// per timestamp cost more than the rest of a status poll.
    static func timestamp(_ milliseconds: Int64) -> String {
        let wholeSeconds = milliseconds.floorDivided(by: 1_000)
        var seconds = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit: this runs for every row of a list, and string
        // interpolation and padding per field cost a tenth of the credits page.
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor <= value / 10 { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1_900, 4)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        text.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        text.append(UInt8(ascii: "."))
        digits(Int(milliseconds - wholeSeconds * 1_000), 3)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 format too.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
