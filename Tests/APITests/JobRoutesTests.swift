import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import MediaStore
import HummingbirdTesting
import NIOCore
import Queue
import Testing

/// Polling, listing, cancelling and downloading, as a client does after an upload.
@Suite(.timeLimit(.minutes(5))) struct JobRoutesTests {
    static func accept(_ client: some TestClientProtocol, _ harness: APIHarness, seconds: Double = 3) async throws -> String {
        let response = try await client.upload(.upload(audio: try await AudioFixtures.wavBytes(seconds: seconds)), as: harness.alice)
        #expect(response.status == .accepted)
        return try #require(try response.json()["id"] as? String)
    }

    static func date(from text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test("status shows every field through queued, running and succeeded")
    func statusFields() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let id = try await Self.accept(client, harness, seconds: 12)
            var json = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(json["ok"] as? Bool == true && json["id"] as? String == id)
            #expect(json["status"] as? String == "queued")
            #expect(json["stage"] is NSNull && json["error"] is NSNull && json["result_url"] is NSNull)
            #expect(json["started_at"] is NSNull && json["finished_at"] is NSNull)
            #expect(json["progress"] as? Double == 0 && json["attempts"] as? Int == 0)
            #expect(json["credits_reserved"] as? Int == 2 && json["credits_charged"] as? Int == 0)
            #expect((json["created_at"] as? String).flatMap(Self.date(from:)) != nil)
            #expect(json["created_at"] as? String == "2025-11-24T16:00:00.000Z", "the test clock's start, UTC, in milliseconds")

            let claimed = try #require(try await harness.queue.claim(owner: "worker-1"))
            #expect(claimed.id == id)
            _ = try await harness.queue.heartbeat(claimed.claim, stage: "translate", progress: 0.5)
            json = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(json["status"] as? String == "running" && json["stage"] as? String == "translate")
            #expect(json["progress"] as? Double == 0.5 && json["attempts"] as? Int == 1)
            #expect(json["started_at"] is String && json["finished_at"] is NSNull)

            _ = try await harness.queue.succeed(claimed.claim)
            json = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(json["status"] as? String == "succeeded" && json["credits_charged"] as? Int == 2)
            #expect(json["finished_at"] is String && json["error"] is NSNull)
            #expect(json["result_url"] as? String == "http://auris.test/api/dub/\(id)/result")
        }
        #expect(try await harness.balance(harness.alice).available == 8)
        #expect(try await harness.store.violations() == [])
    }

    @Test("a failed job shows its error code and a sentence for people, never the worker's detail")
    func failedJob() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let id = try await Self.accept(client, harness)
            let claimed = try #require(try await harness.queue.claim(owner: "w"))
            _ = try await harness.queue.fail(
                claimed.claim, errorCode: "ffmpeg_failed",
                errorMessage: "ffmpeg -i /srv/auris/data/uploads/up_01/source -ac 1 exited 1: Invalid data found; OpenAI said sk-…")
            let json = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(json["status"] as? String == "failed" && json["credits_charged"] as? Int == 0)
            let error = try #require(json["error"] as? [String: Any])
            #expect(error["code"] as? String == "ffmpeg_failed")
            let message = try #require(error["message"] as? String)
            #expect(message == "Processing the audio failed on our side. Nothing was charged; try again.")
            #expect(!message.contains("/srv") && !message.contains("ffmpeg -i"), "no worker detail reaches the customer")
        }
        #expect(try await harness.balance(harness.alice).available == 10, "a failed job's credits come back")
    }

    @Test("the list pages newest first with limit and cursor")
    func listPagination() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for _ in 0..<5 {
                ids.append(try await Self.accept(client, harness))
                harness.store.clock.advance(byMilliseconds: 1_000)
            }
            var seen: [String] = []
            var uri = "/api/dub?limit=2"
            for _ in 0..<4 {
                let json = try await client.get(uri, as: harness.alice).json()
                let jobs = try #require(json["jobs"] as? [[String: Any]])
                #expect(jobs.count <= 2)
                seen += jobs.compactMap { $0["id"] as? String }
                guard let next = json["next_cursor"] as? String else { break }
                uri = "/api/dub?limit=2&cursor=\(next)"
            }
            #expect(seen == ids.reversed())
            for bad in ["/api/dub?limit=0", "/api/dub?limit=101", "/api/dub?limit=x", "/api/dub?cursor=dub-nope"] {
                let response = try await client.get(bad, as: harness.alice)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(try response.errorCode() == "invalid_request")
            }
            let unknown = try await client.get("/api/dub?cursor=dub_nope", as: harness.alice)
            #expect(unknown.status == .notFound, "a well-formed cursor naming no job")
            #expect(try unknown.errorCode() == "not_found")
        }
    }

    @Test("cancelling a queued job gives its credits back; a finished one is 409")
    func cancel() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let id = try await Self.accept(client, harness, seconds: 12)
            #expect(try await harness.balance(harness.alice).available == 8)
            let response = try await client.execute(uri: "/api/dub/\(id)", method: .delete, headers: harness.alice.bearer)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["status"] as? String == "canceled" && json["id"] as? String == id)
            #expect(try await harness.balance(harness.alice) == .init(available: 10, held: 0, received: 10, spent: 0))

            let again = try await client.execute(uri: "/api/dub/\(id)", method: .delete, headers: harness.alice.bearer)
            #expect(again.status == .conflict)
            #expect(try again.errorCode() == "already_finished")
        }
        #expect(try await harness.store.violations() == [])
    }

    @Test("cancelling a running job asks its worker to stop: 202")
    func cancelRunning() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let id = try await Self.accept(client, harness)
            _ = try #require(try await harness.queue.claim(owner: "w"))
            let response = try await client.execute(uri: "/api/dub/\(id)", method: .delete, headers: harness.alice.bearer)
            #expect(response.status == .accepted)
            #expect(try response.json()["cancel_requested"] as? Bool == true)
            #expect(try await harness.balance(harness.alice).held == 1, "held until the worker stops")
        }
    }

    @Test("the result: 409 until succeeded, then the MP3's bytes, 410 once removed")
    func result() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let mp3 = try AudioFixtures.bytes(try await AudioFixtures.mp3(seconds: 1))
        try await harness.application().test(.router) { client in
            let id = try await Self.accept(client, harness)
            let early = try await client.get("/api/dub/\(id)/result", as: harness.alice)
            #expect(early.status == .conflict)
            #expect(try early.errorCode() == "result_not_ready")

            let claimed = try #require(try await harness.queue.claim(owner: "w"))
            try await harness.succeed(claimed, result: mp3)
            let ready = try await client.get("/api/dub/\(id)/result", as: harness.alice)
            #expect(ready.status == .ok)
            #expect(ready.headers[.contentType] == "audio/mpeg")
            #expect(Array(ready.body.readableBytesView) == mp3)

            try await harness.configuration.media.delete(try MediaKey.result(jobID: id, fileExtension: "mp3"))
            let gone = try await client.get("/api/dub/\(id)/result", as: harness.alice)
            #expect(gone.status == .gone)
            #expect(try gone.errorCode() == "result_expired")
        }
    }

    @Test("an unknown job and an unknown route are 404 in the JSON shape")
    func notFound() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            for uri in ["/api/dub/dub_missing", "/api/dub/dub_missing/result"] {
                let response = try await client.get(uri, as: harness.alice)
                #expect(try response.status == .notFound && response.errorCode() == "not_found", "\(uri)")
            }
            let cancel = try await client.execute(uri: "/api/dub/dub_missing", method: .delete, headers: harness.alice.bearer)
            #expect(cancel.status == .notFound)
            for uri in ["/api/nothing-here", "/nothing-here"] {
                let response = try await client.get(uri, as: harness.alice)
                #expect(try response.status == .notFound && response.errorCode() == "not_found", "\(uri)")
            }
        }
    }
}
