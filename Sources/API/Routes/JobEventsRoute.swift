import Billing
import Foundation
import HTTPTypes
import Hummingbird
import Queue

/// `GET /api/dub/{id}/events`: Server-Sent Events for one job. A `status` event carries
/// the job (the body of `GET /api/dub/{id}`) at once and again whenever it changes; the
/// stream ends after the event that shows the job finished.
///
/// Workers run in other processes, so the stream marks the job watched
/// (`JobQueue.watch`) and reads it again when a change wakes it (`JobChangeFeed`), or
/// every `fallbackPollInterval` should a wake-up be lost. Each account has at most
/// `AURIS_ACCOUNT_MAX_STREAMS` streams open (429 `too_many_streams` past it). Every
/// stream is bounded: it ends after `maxDuration` even if the job has not, and a comment
/// every `heartbeatInterval` keeps proxies from closing a quiet stream and lets the
/// server notice a client that has gone (the write fails).
struct JobEventsRoute: Sendable {
    struct Timing: Sendable {
        var fallbackPollInterval: Duration = .seconds(5)
        var heartbeatInterval: Duration = .seconds(15)
        var maxDuration: Duration = .seconds(600)
    }

    let queue: JobQueue
    let publicURL: String
    let streams: AccountSlots
    let feed: JobChangeFeed
    var timing = Timing()
    /// Waits for a change after a generation of the feed, or for the timeout; returns how
    /// long it waited. Tests replace it to change the job between two reads.
    var wait: @Sendable (_ generation: UInt64, _ timeout: Duration) async throws -> Duration

    init(queue: JobQueue, publicURL: String, streams: AccountSlots, feed: JobChangeFeed, timing: Timing = Timing()) {
        self.queue = queue
        self.publicURL = publicURL
        self.streams = streams
        self.feed = feed
        self.timing = timing
        wait = { [feed] generation, timeout in
            let start = ContinuousClock.now
            await feed.wait(after: generation, timeout: timeout)
            try Task.checkCancellation()
            return start.duration(to: .now)
        }
    }

    func handle(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let id = context.parameters.get("id"), id.utf8.count <= 64 else { throw APIError.notFound() }
        guard let slot = EventStreamSlot(account: account, slots: streams, feed: feed) else {
            throw APIError.tooManyStreams(limit: streams.limit)
        }
        // Read before the job, so a change committed after this read wakes the stream.
        let generation = feed.generation
        guard try await queue.watch(jobID: id, account: account, forMilliseconds: timing.maxDuration.components.seconds * 1_000),
              let first = try await queue.job(id: id, account: account)
        else { throw APIError.notFound("no job \(id)") }
        let body = ResponseBody { writer in
            defer { slot.release() }
            try await stream(from: first, generation: generation, account: account, to: &writer)
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

    private func stream(
        from first: Job, generation: UInt64, account: AccountID, to writer: inout any ResponseBodyWriter
    ) async throws {
        var shown = JobView.json(first, publicURL: publicURL)
        try await writer.write(Self.event("status", shown))
        var finished = first.state.isFinished
        var generation = generation
        var elapsed = Duration.zero
        var quiet = Duration.zero
        while !finished, elapsed < timing.maxDuration {
            let waited = try await wait(generation, min(timing.fallbackPollInterval, timing.maxDuration - elapsed))
            elapsed += waited
            quiet += waited
            generation = feed.generation
            guard let job = try await queue.job(id: first.id, account: account) else { return }
            let view = JobView.json(job, publicURL: publicURL)
            finished = job.state.isFinished
            if view != shown {
                try await writer.write(Self.event("status", view))
                shown = view
                quiet = .zero
            } else if quiet >= timing.heartbeatInterval {
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                quiet = .zero
            }
        }
    }

    /// One event; JSON without pretty printing has no newline, so `data:` is one line.
    static func event(_ name: String, _ object: [String: JSONValue]) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "event: \(name)\ndata: ")
        buffer.writeBytes(JSONValue.object(object).serialized())
        buffer.writeString("\n\n")
        return buffer
    }
}
