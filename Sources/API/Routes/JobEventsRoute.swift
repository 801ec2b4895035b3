import Billing
import Foundation
import HTTPTypes
import Hummingbird
import Queue

/// `GET /api/dub/{id}/events`: Server-Sent Events for one job. A `status` event carries
/// the job (the body of `GET /api/dub/{id}`) at once and again whenever it changes; the
/// stream ends after the event that shows the job finished.
///
/// Workers run in other processes and share only the database, so the route polls it.
/// Every stream is bounded: it ends after `maxDuration` even if the job has not, and a
/// comment every `heartbeatInterval` keeps proxies from closing a quiet stream and lets
/// the server notice a client that has gone (the write fails).
struct JobEventsRoute: Sendable {
    struct Timing: Sendable {
        var pollInterval: Duration = .milliseconds(250)
        var heartbeatInterval: Duration = .seconds(15)
        var maxDuration: Duration = .seconds(600)

        /// Counted in polls rather than read from a clock: a stream cannot outlive its
        /// bound whatever clock a test or host has, and tests drive it step by step.
        var pollsPerHeartbeat: Int { max(1, Int(heartbeatInterval / pollInterval)) }
        var maxPolls: Int { max(1, Int(maxDuration / pollInterval)) }
    }

    let queue: JobQueue
    let publicURL: String
    var timing = Timing()
    /// Waits between polls; tests replace it to change the job between two polls.
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    func handle(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let id = context.parameters.get("id"), id.utf8.count <= 64 else { throw APIError.notFound() }
        guard let first = try await queue.job(id: id, account: account) else { throw APIError.notFound("no job \(id)") }
        let body = ResponseBody { writer in
            try await stream(from: first, account: account, to: &writer)
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-store",
                // nginx and similar proxies would otherwise buffer the stream.
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body)
    }

    private func stream(from first: Job, account: AccountID, to writer: inout any ResponseBodyWriter) async throws {
        var shown = JobView.json(first, publicURL: publicURL)
        try await writer.write(Self.event("status", shown))
        var finished = first.state.isFinished
        var quietPolls = 0
        var polls = 0
        while !finished, polls < timing.maxPolls {
            try await sleep(timing.pollInterval)
            polls += 1
            guard let job = try await queue.job(id: first.id, account: account) else { return }
            let view = JobView.json(job, publicURL: publicURL)
            finished = job.state.isFinished
            if view != shown {
                try await writer.write(Self.event("status", view))
                shown = view
                quietPolls = 0
            } else {
                quietPolls += 1
                if quietPolls >= timing.pollsPerHeartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    quietPolls = 0
                }
            }
        }
    }

    /// One event; JSON without pretty printing has no newline, so `data:` is one line.
    static func event(_ name: String, _ object: [String: JSONValue]) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(object), as: UTF8.self)
        return ByteBuffer(string: "event: \(name)\ndata: \(json)\n\n")
    }
}
