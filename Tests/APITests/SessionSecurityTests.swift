import API
import AurisTestSupport
import Billing
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// What a signed-in browser must be safe from: a planted session, another site acting
/// with its cookies, a leaked password hash, a session that outlives sign-out.
@Suite(.timeLimit(.minutes(5))) struct SessionSecurityTests {
    @Test("session fixation: sign-in never keeps the session the browser came with, and that token stops working")
    func sessionFixation() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var victim = Browser()
            _ = try await victim.signUp(client, email: "ada@example.com")
            let planted = "as_PLANTEDBYANATTACKER0000000000000000000000"
            victim.cookies["auris_session"] = planted
            #expect(try await victim.send(client, .get, "/api/me").status == .unauthorized, "a token the server never issued is nobody")
            _ = try await victim.logIn(client, email: "ada@example.com")
            #expect(victim.session != nil && victim.session != planted)

            let before = try #require(victim.session)
            _ = try await victim.logIn(client, email: "ada@example.com")
            let after = try #require(victim.session)
            #expect(after != before, "each sign-in issues a new session id")
            var stale = Browser()
            stale.cookies["auris_session"] = before
            #expect(try await stale.send(client, .get, "/api/me").status == .unauthorized, "the session replaced at sign-in is ended")
        }
    }

    @Test("CSRF: a cookie-authenticated state change without the token, with a wrong one, or with another session's is 403 csrf_failed")
    func csrf() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var ada = Browser(), bob = Browser()
            _ = try await ada.signUp(client, email: "ada@example.com")
            _ = try await bob.signUp(client, email: "bob@example.com")
            let attempts: [(HTTPRequest.Method, String)] = [(.post, "/api/keys"), (.post, "/api/logout"), (.delete, "/api/dub/dub_01KB0000000000000000000000"), (.post, "/api/checkout")]
            for (method, uri) in attempts {
                for token: String? in [nil, "", "cs_WRONG", bob.csrf] {
                    let refused = try await ada.send(client, method, uri, json: ["name": "x"], csrf: .some(token))
                    #expect(refused.status == .forbidden, "\(method) \(uri) with \(token ?? "no token")")
                    #expect(try refused.errorCode() == "csrf_failed")
                }
            }
            // The header must also match the cookie the browser holds.
            var mixed = ada
            mixed.cookies["auris_csrf"] = bob.csrf
            #expect(try await mixed.send(client, .post, "/api/keys", json: ["name": "x"], csrf: .some(bob.csrf)).status == .forbidden)
            #expect(try await ada.send(client, .get, "/api/keys", csrf: .some(nil)).status == .ok, "reads need no token")
            #expect(try await ada.send(client, .get, "/api/me").status == .ok, "the refusals did not end the session")
            let made = try await ada.send(client, .post, "/api/keys", json: ["name": "laptop"])
            #expect(made.status == .created, "with the token it goes through")
        }
    }

    @Test("an Origin other than ours is refused with 403 for cookies, sign-in and sign-up; bearer keys are unaffected")
    func foreignOrigin() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var ada = Browser()
            _ = try await ada.signUp(client, email: "ada@example.com")
            ada.origin = "http://evil.test"
            let forged = try await ada.send(client, .post, "/api/keys", json: ["name": "x"])
            #expect(forged.status == .forbidden)
            #expect(try forged.errorCode() == "origin_refused")
            #expect(try await ada.logIn(client, email: "ada@example.com").status == .forbidden)
            var stranger = Browser(origin: "https://auris.test.evil.test")
            #expect(try await stranger.signUp(client, email: "eve@example.com").status == .forbidden)

            var headers = harness.alice.bearer
            headers[.origin] = "http://evil.test"
            headers[.contentType] = "application/json"
            let program = try await client.execute(uri: "/api/keys", method: .post, headers: headers, body: .init(string: #"{"name":"ci"}"#))
            #expect(program.status == .created)
        }
    }

    @Test("cookie flags: session HttpOnly, both SameSite=Lax and Path=/, Secure only behind an https public URL")
    func cookieFlags() async throws {
        for publicURL in ["http://auris.test", "https://auris.test"] {
            let harness = try await APIHarness.make { $0.publicURL = publicURL }
            defer { harness.remove() }
            try await harness.application().test(.router) { client in
                var browser = Browser(origin: publicURL)
                _ = try await browser.signUp(client, email: "ada@example.com")
                let lines = browser.lastSetCookies
                let session = try #require(lines.first { $0.hasPrefix("auris_session=") })
                let csrf = try #require(lines.first { $0.hasPrefix("auris_csrf=") })
                let secure = publicURL.hasPrefix("https")
                for line in [session, csrf] {
                    let attributes = Set(line.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                    #expect(attributes.contains("samesite=lax"), "\(line)")
                    #expect(attributes.contains("path=/"), "\(line)")
                    #expect(attributes.contains("secure") == secure, "\(line)")
                    #expect(attributes.contains("httponly") == (line == session), "\(line)")
                    #expect(attributes.contains { $0.hasPrefix("max-age=") }, "\(line)")
                }
            }
        }
    }

    @Test("the password hash is stored as bcrypt at the configured cost and never returned by any route")
    func passwordHashNeverReturned() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var browser = Browser()
            var bodies: [String] = []
            bodies.append(String(buffer: try await browser.signUp(client, email: "ada@example.com").body))
            bodies.append(String(buffer: try await browser.logIn(client, email: "ada@example.com").body))
            bodies.append(String(buffer: try await browser.logIn(client, email: "ada@example.com", password: "wrong password").body))
            _ = try await browser.logIn(client, email: "ada@example.com")
            for uri in ["/api/me", "/api/credits", "/api/keys", "/api/dub", "/api/plans"] {
                bodies.append(String(buffer: try await browser.send(client, .get, uri).body))
            }
            bodies.append(String(buffer: try await browser.send(client, .post, "/api/keys", json: ["name": "ci"]).body))
            bodies.append(String(buffer: try await browser.send(client, .post, "/api/logout").body))
            let stored = try await harness.store.database.read { db in
                try db.queryFirst("SELECT password_hash FROM account_logins") { row in row["password_hash"] as String }
            }
            let hash = try #require(stored)
            #expect(hash.hasPrefix("$2b$04$") && hash.count == 60)
            for body in bodies {
                #expect(!body.contains(hash) && !body.contains("$2b$") && !body.contains("correct horse"), "\(body)")
            }
        }
    }

    @Test("an unknown email and a wrong password get the very same answer")
    func unknownEmailAndWrongPasswordAlike() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            var wrong = Browser(), unknown = Browser()
            let wrongPassword = try await wrong.logIn(client, email: "ada@example.com", password: "not her password")
            let unknownEmail = try await unknown.logIn(client, email: "nobody@example.com", password: "not her password")
            #expect(wrongPassword.status == .unauthorized && unknownEmail.status == .unauthorized)
            #expect(try wrongPassword.errorCode() == "invalid_credentials")
            #expect(String(buffer: wrongPassword.body) == String(buffer: unknownEmail.body))
            #expect(wrongPassword.headers[values: .setCookie] == unknownEmail.headers[values: .setCookie])
            #expect(wrong.session == nil && unknown.session == nil)
        }
    }

    /// Not a speed test: without the dummy hash an unknown email answers a hundred times
    /// faster than a wrong password (no bcrypt at all), which this tells from noise.
    @Test("an unknown email takes as long as a wrong password: bcrypt runs for both (medians within a factor of 3)")
    func unknownEmailTakesAsLongAsWrongPassword() async throws {
        let harness = try await APIHarness.make {
            $0.signIn.bcryptCost = 10
            $0.signIn.loginAttemptsPerMinute = 100
        }
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            var wrong: [Duration] = [], unknown: [Duration] = []
            let clock = ContinuousClock()
            for round in 0..<7 {
                for (email, into) in [("ada@example.com", 0), ("nobody\(round)@example.com", 1)] {
                    var stranger = Browser()
                    let started = clock.now
                    let answer = try await stranger.logIn(client, email: email, password: "not the password")
                    let took = clock.now - started
                    #expect(answer.status == .unauthorized)
                    if into == 0 { wrong.append(took) } else { unknown.append(took) }
                }
            }
            let medians = (wrong.sorted()[3], unknown.sorted()[3])
            #expect(medians.1 * 3 > medians.0 && medians.0 * 3 > medians.1, "wrong password \(medians.0), unknown email \(medians.1)")
        }
    }

    @Test("sign-out ends the session on the server: the old cookie is refused even if the browser keeps it; sessions expire")
    func logoutRevokesAndSessionsExpire() async throws {
        let harness = try await APIHarness.make { $0.signIn.sessionLifetimeSeconds = 3_600 }
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let kept = browser
            let out = try await browser.send(client, .post, "/api/logout")
            #expect(out.status == .ok)
            #expect(out.headers[values: .setCookie].allSatisfy { $0.lowercased().contains("max-age=0") })
            var replay = kept
            #expect(try await replay.send(client, .get, "/api/me").status == .unauthorized)
            #expect(try await replay.send(client, .post, "/api/keys", json: ["name": "x"]).status == .unauthorized)

            var later = Browser()
            _ = try await later.logIn(client, email: "ada@example.com")
            #expect(try await later.send(client, .get, "/api/me").status == .ok)
            harness.store.clock.advance(byMilliseconds: 3_600_000)
            #expect(try await later.send(client, .get, "/api/me").status == .unauthorized, "an hour on, the session has expired")
        }
    }
}
