@testable import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Queue
import Synchronization
import Testing

/// `GET /api/dub/{id}/events`: one `status` event per change of the job, driven here by
/// the queue calls a worker makes, and the end of the stream when the job ends.
@Suite(.timeLimit(.minutes(5))) struct JobEventsTests {
    @Test("streams each state change, a heartbeat while nothing changes, and closes when the job ends")
    func streamsChangesUntilTheJobEnds() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        let queue = fixture.queue
        let id = fixture.jobID
        // One step between two polls of the route, as a worker would make them.
        let held = Held()
        let steps = Steps([
            { held.claim = try await queue.claim(owner: "w1")?.claim },
            { _ = try await queue.heartbeat(try held.require(), stage: "transcribe", progress: 0.2) },
            {},
            {},
            { _ = try await queue.heartbeat(try held.require(), stage: "synthesize", progress: 0.6) },
            { _ = try await queue.heartbeat(try held.require(), stage: "synthesize", progress: 0.6) },
            { _ = try await queue.succeed(try held.require()) },
        ])
        var timing = JobEventsRoute.Timing()
        timing.heartbeatInterval = timing.fallbackPollInterval * 2

        let body = try await fixture.get("/api/dub/\(id)/events", key: fixture.owner.apiKey, timing: timing, steps: steps) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream; charset=utf-8")
        }

        let events = SentEvent.parse(body)
        // The third and fourth polls see no change: the second of them sends a heartbeat.
        #expect(events.map(\.name) == ["status", "status", "status", "heartbeat", "status", "status"])
        let jobs = events.compactMap(\.job)
        #expect(jobs.map { $0["status"] as? String } == ["queued", "running", "running", "running", "succeeded"])
        #expect(jobs.map { $0["stage"] as? String } == [nil, nil, "transcribe", "synthesize", "done"])
        #expect(jobs.map { ($0["progress"] as? NSNumber)?.doubleValue } == [0, 0, 0.2, 0.6, 1])
        #expect(jobs.allSatisfy { $0["id"] as? String == id })
        #expect((jobs.last?["credits_charged"] as? NSNumber)?.intValue == 2)
        // The stream ended on its own after the last step: no poll after the job ended.
        #expect(steps.remaining == 0)
        #expect(steps.extraPolls == 0)
    }

    @Test("a job that has ended gets one event and the stream closes at once")
    func finishedJobClosesAtOnce() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        #expect(try await fixture.queue.cancel(jobID: fixture.jobID, account: fixture.owner.id) == .canceled)
        let steps = Steps([])
        let body = try await fixture.get("/api/dub/\(fixture.jobID)/events", key: fixture.owner.apiKey, steps: steps) {
            #expect($0.status == .ok)
        }
        let events = SentEvent.parse(body)
        #expect(events.count == 1)
        #expect(events.first?.job?["status"] as? String == "canceled")
        #expect(steps.extraPolls == 0)
    }

    @Test("a stream is bounded: it ends after its longest time even while the job waits")
    func boundedWhileTheJobWaits() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        var timing = JobEventsRoute.Timing()
        timing.maxDuration = timing.fallbackPollInterval * 4
        let steps = Steps([{}, {}, {}, {}])
        let body = try await fixture.get(
            "/api/dub/\(fixture.jobID)/events", key: fixture.owner.apiKey, timing: timing, steps: steps) { _ in }
        #expect(SentEvent.parse(body).compactMap(\.job).map { $0["status"] as? String } == ["queued"])
        #expect(steps.remaining == 0)
        #expect(steps.extraPolls == 0)
    }

    @Test("another account's job is 404 and no key is 401, before any stream starts")
    func otherAccountsJobIsNotFound() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        let stranger = try await fixture.store.accounts.create(name: "stranger", signupCredits: 10)
        for (path, key, status) in [
            ("/api/dub/\(fixture.jobID)/events", stranger.apiKey, HTTPResponse.Status.notFound),
            ("/api/dub/job_unknown/events", fixture.owner.apiKey, .notFound),
            ("/api/dub/\(fixture.jobID)/events", nil, .unauthorized),
        ] {
            let body = try await fixture.get(path, key: key, steps: Steps([])) { #expect($0.status == status) }
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(json?["ok"] as? Bool == false)
            #expect(!body.contains("event:"))
        }
    }

    @Test("AurisAPI.router serves the route with the Authorization header")
    func registeredOnTheAPIRouter() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        #expect(try await fixture.queue.cancel(jobID: fixture.jobID, account: fixture.owner.id) == .canceled)
        let router = try await WebAppTestRouter.make(store: fixture.store)
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/dub/\(fixture.jobID)/events", method: .get,
                headers: [.authorization: "Bearer \(fixture.owner.apiKey)"])
            #expect(response.status == .ok)
            #expect(SentEvent.parse(String(buffer: response.body)).first?.job?["status"] as? String == "canceled")
        }
    }
}

/// One account with one queued job of 2 credits, and the events route on a router
/// whose waits run the test's steps.
struct EventsFixture {
    let store: TestStore
    let queue: JobQueue
    let owner: Accounts.Created
    let jobID: String

    static func make() async throws -> EventsFixture {
        let store = try await TestStore.make("auris-events")
        let owner = try await store.accounts.create(name: "owner", signupCredits: 10)
        let queue = store.queue()
        let outcome = try await queue.enqueue(EnqueueRequest(
            account: owner.id, credits: 2, durationMilliseconds: 15_000, payload: #"{"targetLanguage":"fr"}"#))
        return EventsFixture(store: store, queue: queue, owner: owner, jobID: outcome.job.id)
    }

    /// GETs `path` and returns the whole body, which is there only once the stream closed.
    fileprivate func get(
        _ path: String, key: String?, timing: JobEventsRoute.Timing = .init(), steps: Steps,
        check: @escaping @Sendable (TestResponse) -> Void
    ) async throws -> String {
        var route = route(timing: timing)
        // Each wait runs the next step and counts as a whole slow poll.
        route.wait = { _, timeout in
            try await steps.next()
            return timeout
        }
        let router = router(route)
        let body = Mutex("")
        try await Application(router: router).test(.router) { client in
            var headers: HTTPFields = [:]
            if let key { headers[.authorization] = "Bearer \(key)" }
            let response = try await client.execute(uri: path, method: .get, headers: headers)
            check(response)
            body.withLock { $0 = String(buffer: response.body) }
        }
        return body.withLock { $0 }
    }

    /// The route as the API makes it, on this fixture's store, `streamLimit` streams per account.
    func route(timing: JobEventsRoute.Timing = .init(), streamLimit: Int = 4) -> JobEventsRoute {
        JobEventsRoute(
            queue: queue, publicURL: "http://auris.test", streams: AccountSlots(limit: streamLimit),
            feed: JobChangeFeed(database: store.database, dataDirectory: store.directory.path), timing: timing)
    }

    /// A router with only `route`, behind the API's authentication.
    func router(_ route: JobEventsRoute) -> Router<AurisRequestContext> {
        let router = Router(context: AurisRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware())
        router.group("api").add(middleware: AuthMiddleware(accounts: store.accounts)).get("dub/:id/events", use: route.handle)
        return router
    }
}

/// The claim a test's worker steps hold, from the step that claims to the one that settles.
private final class Held: Sendable {
    private let state = Mutex<JobClaim?>(nil)

    var claim: JobClaim? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    func require() throws -> JobClaim {
        guard let claim else { throw FixtureError("no job was claimed") }
        return claim
    }
}

/// The changes a test makes between polls, one per poll. A poll after the last step
/// counts as extra and stops the stream, so a route that never ends fails the test
/// instead of hanging it.
private final class Steps: Sendable {
    private let state: Mutex<(steps: [@Sendable () async throws -> Void], extra: Int)>

    init(_ steps: [@Sendable () async throws -> Void]) {
        state = Mutex((steps, 0))
    }

    func next() async throws {
        let step: (@Sendable () async throws -> Void)? = state.withLock { state in
            if state.steps.isEmpty {
                state.extra += 1
                return nil
            }
            return state.steps.removeFirst()
        }
        guard let step else { throw CancellationError() }
        try await step()
    }

    var remaining: Int { state.withLock { $0.steps.count } }
    var extraPolls: Int { state.withLock { $0.extra } }
}

/// An event of the stream as a client reads it; a comment line is a "heartbeat".
struct SentEvent {
    var name: String
    var job: [String: Any]?

    static func parse(_ body: String) -> [SentEvent] {
        body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            if block.hasPrefix(":") { return SentEvent(name: "heartbeat", job: nil) }
            var event = SentEvent(name: "message", job: nil)
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    event.job = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                }
            }
            return event
        }
    }
}
