import API
import AurisTestSupport
import Billing
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Queue
import Testing

/// What a client sees when its upload is accepted: 202, the job, the credits reserved.
@Suite(.timeLimit(.minutes(5))) struct UploadAcceptedTests {
    @Test("a multipart upload is accepted: 202 with the job, its price and the balance left")
    func acceptedMultipart() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 12)

        let id = try await harness.application().test(.router) { client in
            let response = try await client.upload(.upload(audio: audio), as: harness.alice)
            #expect(response.status == .accepted)
            let json = try response.json()
            let id = try #require(json["id"] as? String)
            #expect(json["ok"] as? Bool == true)
            #expect(json["status"] as? String == "queued")
            #expect(abs((json["duration_seconds"] as? Double ?? 0) - 12) < 0.05)
            #expect(json["credits_reserved"] as? Int == 2, "12 s is two started 10-s blocks")
            #expect(json["credits_available"] as? Int == 8)
            #expect(json["status_url"] as? String == "http://auris.test/api/dub/\(id)")
            #expect(response.headers[.location] == "/api/dub/\(id)")
            return id
        }
        let balance = try await harness.balance(harness.alice)
        #expect(balance.available == 8 && balance.held == 2)
        #expect(try await harness.jobCount() == 1)
        let upload = try #require(try await harness.store.database.read { db in
            try db.queryFirst("SELECT upload_id FROM jobs WHERE id = ?", id) { row in row["upload_id"] as String }
        })
        let left = Set(try await harness.leftoverUploads())
        #expect(
            left == ["uploads/\(upload)/source", "uploads/\(upload)/subtitles", "row \(upload)"],
            "the accepted upload stays in the store, under its row, for the worker; the spool is empty")
        #expect(try await harness.store.violations() == [])
    }

    @Test("the old field name `audio` is accepted too")
    func oldFieldName() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 3)

        try await harness.application().test(.router) { client in
            let response = try await client.upload(.upload(audio: audio, fileField: "audio"), as: harness.alice)
            #expect(response.status == .accepted)
            #expect(try response.json()["credits_reserved"] as? Int == 1)
        }
        #expect(try await harness.balance(harness.alice).available == 9)
    }

    @Test("a raw audio body with query parameters is accepted by an engine that needs no subtitles")
    func rawBody() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 10)

        try await harness.application(engine: UploadOnlyEngine()).test(.router) { client in
            var headers = harness.alice.bearer
            headers[.contentType] = "audio/wav"
            let response = try await client.execute(
                uri: "/api/dub?target_language=fr&voice=alloy", method: .post, headers: headers, body: ByteBuffer(bytes: audio))
            #expect(response.status == .accepted)
            let json = try response.json()
            #expect(json["credits_reserved"] as? Int == 1, "exactly 10 s is one credit")
            #expect(json["credits_available"] as? Int == 9)
            let id = try #require(json["id"] as? String)
            let status = try await client.get("/api/dub/\(id)", as: harness.alice)
            #expect(try status.json()["target_language"] as? String == "fr")
        }
    }

    @Test("a raw audio body without subtitles is refused by the offline engine, nothing held")
    func rawBodyOfflineEngine() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 3)

        try await harness.application().test(.router) { client in
            try await harness.expectNothingChanged {
                var headers = harness.alice.bearer
                headers[.contentType] = "audio/wav"
                let response = try await client.execute(
                    uri: "/api/dub?target_language=fr", method: .post, headers: headers, body: ByteBuffer(bytes: audio))
                #expect(response.status == .unprocessableContent)
                #expect(try response.errorCode() == "engine_unsupported")
            }
        }
    }
}
