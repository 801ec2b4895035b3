@testable import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Testing

/// Event streams wake on a job's change instead of polling the database, and each
/// account has a bounded number of them, whose slots come back however a stream ends.
@Suite(.timeLimit(.minutes(2))) struct JobEventStreamTests {
    /// So slow that only a wake-up can show a change, or end a stream, within a test.
    static let slow = JobEventsRoute.Timing(
        fallbackPollInterval: .seconds(3_600), heartbeatInterval: .seconds(3_600), maxDuration: .seconds(3_600))

    /// What a worker does after it changes a job. On SQLite the API of this machine learns
    /// it from the socket the worker wakes; on PostgreSQL the NOTIFY the queue sends with
    /// the change is enough, so no socket is woken there.
    static func workerWakes(_ fixture: EventsFixture) {
        if fixture.store.databaseURL == nil { JobWakeups.jobChanges(dataDirectory: fixture.store.directory.path).notifyAll() }
    }

    static func finishJob(_ fixture: EventsFixture) async throws {
        let claimed = try #require(try await fixture.queue.claim(owner: "w1"))
        workerWakes(fixture)
        _ = try await fixture.queue.heartbeat(claimed.claim, stage: "synthesize", progress: 0.5)
        workerWakes(fixture)
        #expect(try await fixture.queue.succeed(claimed.claim) == .settled(.succeeded))
        workerWakes(fixture)
    }

    @Test("a change wakes the stream at once: it shows the job to its end without waiting for the slow poll")
    func aChangeWakesTheStream() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        let route = fixture.route(timing: Self.slow)
        let headers: HTTPFields = [.authorization: "Bearer \(fixture.owner.apiKey)"]
        try await Application(router: fixture.router(route)).test(.router) { client in
            async let streamed = client.execute(uri: "/api/dub/\(fixture.jobID)/events", method: .get, headers: headers)
            try await waitUntil("the stream to open") { route.streams.inUse(by: fixture.owner.id) == 1 }
            try await Self.finishJob(fixture)
            let response = try await streamed
            #expect(response.status == .ok)
            let statuses = SentEvent.parse(String(buffer: response.body)).compactMap { $0.job?["status"] as? String }
            #expect(statuses.first == "queued" || statuses.first == "running")
            #expect(statuses.last == "succeeded")
        }
        #expect(route.streams.inUse(by: fixture.owner.id) == 0)
    }

    @Test("one stream past the account's limit is 429 too_many_streams; a stream that ended gives its slot back")
    func streamsPerAccountAreLimited() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        let route = fixture.route(timing: Self.slow, streamLimit: 2)
        let stranger = try await fixture.store.accounts.create(name: "stranger", signupCredits: 1)
        let headers: HTTPFields = [.authorization: "Bearer \(fixture.owner.apiKey)"]
        let path = "/api/dub/\(fixture.jobID)/events"
        try await Application(router: fixture.router(route)).test(.router) { client in
            async let first = client.execute(uri: path, method: .get, headers: headers)
            async let second = client.execute(uri: path, method: .get, headers: headers)
            try await waitUntil("two streams to open") { route.streams.inUse(by: fixture.owner.id) == 2 }

            let third = try await client.execute(uri: path, method: .get, headers: headers)
            #expect(third.status == .tooManyRequests)
            #expect(try third.errorCode() == "too_many_streams")
            // Another account's limit is its own: its request gets as far as the 404.
            let other = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(stranger.apiKey)"])
            #expect(other.status == .notFound)

            try await Self.finishJob(fixture)
            #expect(try await first.status == .ok)
            #expect(try await second.status == .ok)
            #expect(route.streams.inUse(by: fixture.owner.id) == 0)
            let again = try await client.execute(uri: path, method: .get, headers: headers)
            #expect(again.status == .ok)
        }
        #expect(route.streams.inUse(by: fixture.owner.id) == 0)
        #expect(route.streams.inUse(by: stranger.id) == 0)
    }

    @Test("a stream whose response is dropped before its body is written gives its slot back")
    func aDroppedResponseGivesItsSlotBack() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        let route = fixture.route(timing: Self.slow, streamLimit: 1)
        let router = Router(context: AurisRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware())
        router.group("api").add(middleware: AuthMiddleware(accounts: fixture.store.accounts)).add(middleware: DropResponse())
            .get("dub/:id/events", use: route.handle)
        try await Application(router: router).test(.router) { client in
            for _ in 0..<3 {
                let response = try await client.execute(
                    uri: "/api/dub/\(fixture.jobID)/events", method: .get, headers: [.authorization: "Bearer \(fixture.owner.apiKey)"])
                // Not 429: the slot of the response dropped before came back.
                #expect(response.status == .serviceUnavailable)
            }
        }
        #expect(route.streams.inUse(by: fixture.owner.id) == 0)
    }

    @Test("a client that goes away mid-stream gives its slot back")
    func aClientThatGoesAwayGivesItsSlotBack() async throws {
        let fixture = try await EventsFixture.make()
        defer { fixture.store.directory.remove() }
        // Heartbeats every 50 ms: the first write after the client left fails.
        let route = fixture.route(timing: .init(
            fallbackPollInterval: .milliseconds(50), heartbeatInterval: .milliseconds(50), maxDuration: .seconds(3_600)))
        let application = Application(
            router: fixture.router(route), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let port = try #require(client.port)
            do {
                let connection = try RawHTTPConnection(host: "127.0.0.1", port: port)
                #expect(connection.send(
                    "GET /api/dub/\(fixture.jobID)/events HTTP/1.1\r\nHost: auris.test\r\nAuthorization: Bearer \(fixture.owner.apiKey)\r\n\r\n"))
                #expect(connection.readable(withinMilliseconds: 10_000), "the first event arrives")
                #expect(route.streams.inUse(by: fixture.owner.id) == 1)
            }
            try await waitUntil("the stream's slot to come back", timeoutSeconds: 10) {
                route.streams.inUse(by: fixture.owner.id) == 0
            }
        }
    }
}

/// Throws away the response the route made, as a connection that failed before the body
/// was written would.
private struct DropResponse: RouterMiddleware {
    func handle(
        _ request: Request, context: AurisRequestContext, next: (Request, AurisRequestContext) async throws -> Response
    ) async throws -> Response {
        _ = try await next(request, context)
        throw HTTPError(.serviceUnavailable)
    }
}
