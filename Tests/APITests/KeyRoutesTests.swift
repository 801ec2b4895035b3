import API
import AurisTestSupport
import Billing
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// API keys for programs: made from a signed-in browser, listed without the key,
/// revoked at once, in this process and in every other.
@Suite(.timeLimit(.minutes(5))) struct KeyRoutesTests {
    @Test("a key is shown once, listed by prefix and name with its last use, works as a bearer key, and is refused once revoked")
    func createListRevoke() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let created = try await browser.send(client, .post, "/api/keys", json: ["name": "  render farm "])
            #expect(created.status == .created)
            let json = try created.json()
            let key = try #require(json["api_key"] as? String)
            let id = try #require(json["id"] as? String)
            #expect(key.hasPrefix("ak_") && id.hasPrefix("key_"))
            #expect(json["name"] as? String == "render farm")
            #expect(json["prefix"] as? String == String(key.prefix(7)))

            let bearer: HTTPFields = [.authorization: "Bearer \(key)"]
            let me = try await client.execute(uri: "/api/me", method: .get, headers: bearer)
            #expect(me.status == .ok)
            #expect(try me.json()["email"] as? String == "ada@example.com")
            #expect(try me.json()["signed_in_with"] as? String == "api_key")

            let listed = try await browser.send(client, .get, "/api/keys")
            #expect(!String(buffer: listed.body).contains(key), "the key itself is never listed")
            let keys = try #require(try listed.json()["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["id"] as? String == id)
            #expect(keys.first?["last_used_at"] as? String != nil, "the bearer request above used it")

            let revoked = try await browser.send(client, .delete, "/api/keys/\(id)")
            #expect(revoked.status == .ok)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: bearer).status == .unauthorized)
            let afterRevoke = try await browser.send(client, .get, "/api/keys")
            #expect((try afterRevoke.json()["keys"] as? [Any])?.isEmpty == true)
            #expect(try await browser.send(client, .delete, "/api/keys/\(id)").status == .notFound, "revoked once")
        }
    }

    @Test("another account's key cannot be listed or revoked: 404, and it keeps working")
    func isolation() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var headers = harness.alice.bearer
            headers[.contentType] = "application/json"
            let made = try await client.execute(uri: "/api/keys", method: .post, headers: headers, body: .init(string: #"{"name":"alice ci"}"#))
            let id = try #require(try made.json()["id"] as? String)
            let key = try #require(try made.json()["api_key"] as? String)
            let bobsAttempt = try await client.execute(uri: "/api/keys/\(id)", method: .delete, headers: harness.bob.bearer)
            #expect(bobsAttempt.status == .notFound)
            let bobsList = try await client.get("/api/keys", as: harness.bob)
            #expect(!String(buffer: bobsList.body).contains(id))
            #expect(try await client.execute(uri: "/api/credits", method: .get, headers: [.authorization: "Bearer \(key)"]).status == .ok)
            let unnamed = try await client.execute(uri: "/api/keys", method: .post, headers: headers, body: .init(string: #"{"name":"  "}"#))
            #expect(unnamed.status == .badRequest)
            // 100 characters are a name; with blanks around them they are past the spec's
            // 100, counted as sent; a combining accent counts apart from its letter.
            let hundred = String(repeating: "k", count: 100)
            for (name, status) in [(hundred, HTTPResponse.Status.created), ("  " + hundred + "  ", .badRequest),
                                   (String(repeating: "e\u{301}", count: 60), .badRequest)] {
                let body = try JSONSerialization.data(withJSONObject: ["name": name])
                let made = try await client.execute(uri: "/api/keys", method: .post, headers: headers, body: ByteBuffer(bytes: body))
                #expect(made.status == status, "\(name.unicodeScalars.count) scalars")
            }
        }
    }

    @Test("a key revoked through one server is refused at once by another server on the same database")
    func revocationAcrossProcesses() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let otherProcess = try await harness.store.reopen()
        let other = Application(
            router: AurisAPI.router(
                configuration: harness.configuration, database: otherProcess, engine: try APIHarness.offlineEngine(),
                registry: PrometheusCollectorRegistry(), clock: harness.store.clock),
            logger: APIHarness.quietLogger)
        try await harness.application().test(.router) { client in
            try await other.test(.router) { otherClient in
                let listed = try await client.get("/api/keys", as: harness.alice)
                let id = try #require((try listed.json()["keys"] as? [[String: Any]])?.first?["id"] as? String)
                #expect(try await otherClient.get("/api/credits", as: harness.alice).status == .ok)
                #expect(try await client.execute(uri: "/api/keys/\(id)", method: .delete, headers: harness.alice.bearer).status == .ok)
                #expect(try await otherClient.get("/api/credits", as: harness.alice).status == .unauthorized)
                #expect(try await client.get("/api/credits", as: harness.alice).status == .unauthorized)
                #expect(try await otherClient.get("/api/credits", as: harness.bob).status == .ok)
            }
        }
    }
}
