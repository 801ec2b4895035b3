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
import Synchronization
import Testing

/// Credits, plans, health and metrics.
@Suite(.timeLimit(.minutes(5))) struct AccountRoutesTests {
    @Test("credits: available, held and the history with its reasons")
    func credits() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let kept = try await JobRoutesTests.accept(client, harness, seconds: 12)
            let canceled = try await JobRoutesTests.accept(client, harness)
            _ = try await client.execute(uri: "/api/dub/\(canceled)", method: .delete, headers: harness.alice.bearer)

            let response = try await client.get("/api/credits", as: harness.alice)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["ok"] as? Bool == true)
            #expect(json["credits"] as? Int == 8 && json["held"] as? Int == 2)
            let history = try #require(json["history"] as? [[String: Any]])
            let reasons = history.compactMap { $0["reason"] as? String }
            #expect(reasons.sorted() == ["job_hold", "job_hold", "job_release", "signup"])
            let holdOfKept = history.first { $0["reason"] as? String == "job_hold" && $0["job_id"] as? String == kept }
            #expect(holdOfKept?["change"] as? Int == -2)
            #expect(try await client.get("/api/credits", as: nil).status == .unauthorized)
        }
    }

    @Test("plans: three packs in euros, pro the popular one, no key needed")
    func plans() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let response = try await client.get("/api/plans", as: nil)
            #expect(response.status == .ok)
            let plans = try #require(try response.json()["plans"] as? [[String: Any]])
            #expect(plans.compactMap { $0["id"] as? String } == ["starter", "pro", "premium"])
            #expect(plans.compactMap { $0["credits"] as? Int } == [15, 60, 150])
            #expect(plans.compactMap { $0["price_cents"] as? Int } == [500, 1_500, 3_000])
            #expect(plans.filter { $0["popular"] as? Bool == true }.compactMap { $0["id"] as? String } == ["pro"])
        }
    }

    @Test("readyz does not queue for the write lock on every call: it answers while another process writes")
    func readyzWhileAnotherProcessWrites() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let otherProcess = try await harness.store.reopen()
        try await harness.application().test(.router) { client in
            #expect(try await client.get("/readyz", as: nil).status == .ok)
            // The other process holds its write transaction until readyz has answered (or
            // 30 s pass): a readyz that queued for the lock would only answer after that.
            let writerHolds = AsyncStream.makeStream(of: Void.self)
            let readyzAnswered = DispatchSemaphore(value: 0)
            let releasedByTimeout = Mutex(false)
            let writer = Task {
                try await otherProcess.write { db in
                    _ = try db.execute("UPDATE schema_migrations SET applied_at_ms = applied_at_ms")
                    writerHolds.continuation.yield()
                    if readyzAnswered.wait(timeout: .now() + 30) == .timedOut {
                        releasedByTimeout.withLock { $0 = true }
                    }
                }
            }
            for await _ in writerHolds.stream { break }
            let ready = try await client.get("/readyz", as: nil)
            readyzAnswered.signal()
            #expect(ready.status == .ok)
            #expect(!releasedByTimeout.withLock { $0 }, "readyz waited for another process's write transaction")
            try await writer.value
        }
    }

    @Test("with AURIS_METRICS_TOKEN set, /metrics answers only that bearer token")
    func metricsToken() async throws {
        let harness = try await APIHarness.make { $0.metricsToken = "scrape-7f3a" }
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let anonymous = try await client.get("/metrics", as: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try anonymous.json()["error"].flatMap { ($0 as? [String: Any])?["code"] as? String } == "unauthorized")
            let customer = try await client.get("/metrics", as: harness.alice)
            #expect(customer.status == .unauthorized, "a customer's API key is not the scrape token")
            let wrong = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-7f3b"])
            #expect(wrong.status == .unauthorized)
            let scraper = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-7f3a"])
            #expect(scraper.status == .ok)
            #expect(String(buffer: scraper.body).contains("auris_credits_reserved"))
            #expect(try await client.get("/healthz", as: nil).status == .ok, "liveness stays open")
        }
    }

    @Test("healthz, readyz and the metrics with jobs by state and credit gauges")
    func health() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            #expect(try await client.get("/healthz", as: nil).status == .ok)
            let ready = try await client.get("/readyz", as: nil)
            #expect(try ready.status == .ok && ready.json()["database"] as? String == "writable")
            let first = try await JobRoutesTests.accept(client, harness, seconds: 12)
            let second = try await JobRoutesTests.accept(client, harness)

            let metrics = try await client.get("/metrics", as: nil)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            var values = Self.samples(String(buffer: metrics.body))
            #expect(values[#"auris_jobs{state="queued"}"#] == 2)
            #expect(values["auris_credits_reserved"] == 3)
            #expect(values["auris_credits_captured_total"] == 0)
            #expect(values["auris_credits_released_total"] == 0)

            for id in [first, second] {
                _ = try await client.execute(uri: "/api/dub/\(id)", method: .delete, headers: harness.alice.bearer)
            }
            let after = try await client.get("/metrics", as: nil)
            values = Self.samples(String(buffer: after.body))
            #expect(values[#"auris_jobs{state="queued"}"#] == 0, "a state that emptied shows 0, not its last count")
            #expect(values[#"auris_jobs{state="canceled"}"#] == 2)
            #expect(values["auris_credits_reserved"] == 0)
            #expect(values["auris_credits_released_total"] == 3)
        }
    }

    /// Prometheus text as sample name (with labels) → value.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("CORS: an allowed origin gets the headers and its preflight, another origin gets none")
    func cors() async throws {
        let harness = try await APIHarness.make { $0.corsOrigins = ["https://app.auris.test"] }
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let allowed = try await client.execute(uri: "/api/plans", method: .get, headers: [.origin: "https://app.auris.test"])
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.auris.test")
            let refusedWithCORS = try await client.execute(uri: "/api/credits", method: .get, headers: [.origin: "https://app.auris.test"])
            #expect(refusedWithCORS.status == .unauthorized)
            #expect(refusedWithCORS.headers[.accessControlAllowOrigin] == "https://app.auris.test", "errors are readable too")

            let preflight = try await client.execute(uri: "/api/dub", method: .options, headers: [
                .origin: "https://app.auris.test", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, content-type",
            ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.auris.test")
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.lowercased().contains("authorization") == true)

            let other = try await client.execute(uri: "/api/plans", method: .get, headers: [.origin: "https://evil.test"])
            #expect(other.status == .ok && other.headers[.accessControlAllowOrigin] == nil)
            let otherPreflight = try await client.execute(uri: "/api/dub", method: .options, headers: [
                .origin: "https://evil.test", .accessControlRequestMethod: "POST",
            ])
            #expect(otherPreflight.headers[.accessControlAllowOrigin] == nil)
            #expect(otherPreflight.status != .noContent)
        }
    }

    @Test("without configured origins no response carries CORS headers")
    func corsOffByDefault() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/plans", method: .get, headers: [.origin: "https://app.auris.test"])
            #expect(response.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
