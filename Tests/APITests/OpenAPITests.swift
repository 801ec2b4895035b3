import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import Queue
import Testing

/// `docs/openapi.yaml` describes the router as it is: the spec's operations are the
/// router's routes, each answers and nothing else on a documented path does, and every
/// status code the code can answer is documented.
@Suite(.timeLimit(.minutes(5))) struct OpenAPITests {
    /// The web app's page and assets: served by the same router, not part of the API.
    static let webAppRoutes: Set<OpenAPIPaths.Operation> = [.init(method: "GET", path: "/"), .init(method: "GET", path: "/assets/{name}")]

    /// Methods probed on every documented path.
    static let probedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// The statuses each operation's code can answer (the router knows routes, not
    /// statuses, so these are listed by hand).
    static let routes: [OpenAPIPaths.Operation: Set<Int>] = [
        .init(method: "GET", path: "/healthz"): [200],
        .init(method: "GET", path: "/readyz"): [200, 503],
        .init(method: "GET", path: "/metrics"): [200],
        .init(method: "GET", path: "/api/openapi.yaml"): [200],
        .init(method: "GET", path: "/api/plans"): [200],
        .init(method: "GET", path: "/api/languages"): [200],
        .init(method: "POST", path: "/api/stripe/webhook"): [200, 400, 413, 503],
        .init(method: "POST", path: "/api/checkout"): [200, 400, 401, 403, 413, 422, 502, 503],
        .init(method: "POST", path: "/api/dub"): [202, 400, 401, 402, 403, 413, 415, 422, 429],
        .init(method: "GET", path: "/api/dub"): [200, 400, 401, 404],
        .init(method: "GET", path: "/api/dub/{id}"): [200, 401, 404],
        .init(method: "DELETE", path: "/api/dub/{id}"): [200, 202, 401, 403, 404, 409],
        .init(method: "GET", path: "/api/dub/{id}/result"): [200, 401, 404, 409, 410],
        .init(method: "GET", path: "/api/dub/{id}/transcript"): [200, 400, 401, 404, 409, 410, 422],
        .init(method: "GET", path: "/api/dub/{id}/events"): [200, 401, 404],
        .init(method: "GET", path: "/api/credits"): [200, 401],
        .init(method: "GET", path: "/status"): [200],
        .init(method: "POST", path: "/api/signup"): [201, 400, 403, 409, 413, 429],
        .init(method: "POST", path: "/api/login"): [200, 400, 401, 403, 413, 429],
        .init(method: "POST", path: "/api/logout"): [200, 401, 403],
        .init(method: "GET", path: "/api/me"): [200, 401],
        .init(method: "POST", path: "/api/keys"): [201, 400, 401, 403, 409, 413],
        .init(method: "GET", path: "/api/keys"): [200, 401],
        .init(method: "DELETE", path: "/api/keys/{id}"): [200, 401, 403, 404],
        .init(method: "POST", path: "/api/webhooks"): [201, 400, 401, 403, 409, 413, 422],
        .init(method: "GET", path: "/api/webhooks"): [200, 401],
        .init(method: "DELETE", path: "/api/webhooks/{id}"): [200, 401, 403, 404],
        .init(method: "POST", path: "/api/webhooks/{id}/rotate"): [200, 401, 403, 404],
        .init(method: "GET", path: "/api/webhooks/deliveries"): [200, 401],
        .init(method: "POST", path: "/api/webhooks/deliveries/{id}/resend"): [202, 401, 403, 404, 409],
    ]

    static func specText() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
    }

    @Test("every route and status code the code answers is in docs/openapi.yaml")
    func routesAreDocumented() throws {
        let spec = OpenAPIPaths(yaml: try Self.specText())
        for (operation, statuses) in Self.routes {
            let documented = try #require(spec.statuses[operation], "\(operation) is not in the spec")
            #expect(statuses.subtracting(documented).isEmpty, "\(operation) answers \(statuses.subtracting(documented).sorted()) undocumented")
        }
        #expect(Set(spec.statuses.keys) == Set(Self.routes.keys), "the spec and this list name the same operations")
    }

    @Test("the spec's operations are exactly the router's routes, the web app's pages aside")
    func specMatchesTheRouter() async throws {
        let spec = OpenAPIPaths(yaml: try Self.specText())
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let router = AurisAPI.router(
            configuration: harness.configuration, database: harness.store.database, engine: try APIHarness.offlineEngine(),
            registry: PrometheusCollectorRegistry(), clock: harness.store.clock)
        let routed = Set(router.routes.map { OpenAPIPaths.Operation(method: $0.method.rawValue, path: $0.path.description) })
        #expect(routed.isSuperset(of: Self.webAppRoutes), "\(routed.sorted { $0.description < $1.description })")
        let api = routed.subtracting(Self.webAppRoutes)
        #expect(api.subtracting(spec.statuses.keys).isEmpty, "routed but not documented: \(api.subtracting(spec.statuses.keys))")
        #expect(Set(spec.statuses.keys).subtracting(api).isEmpty, "documented but not routed: \(Set(spec.statuses.keys).subtracting(api))")
    }

    @Test("on a documented path, an undocumented method is refused with 405")
    func undocumentedMethodsAreRefused() async throws {
        let spec = OpenAPIPaths(yaml: try Self.specText())
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let paths = Set(spec.statuses.keys.map(\.path))
        try await harness.application().test(.router) { client in
            for path in paths.sorted() {
                let uri = path.replacingOccurrences(of: "{id}", with: "dub_unknown")
                for method in Self.probedMethods where spec.statuses[.init(method: method, path: path)] == nil {
                    let response = try await client.execute(
                        uri: uri, method: HTTPRequest.Method(method)!, headers: harness.alice.bearer)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path) answered \(response.status.code)")
                }
            }
        }
    }

    @Test("every path and method of the spec is routed: none is a 404 for want of a route")
    func specPathsAreRouted() async throws {
        let spec = OpenAPIPaths(yaml: try Self.specText())
        #expect(spec.statuses.count >= 13)
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            for operation in spec.statuses.keys {
                let uri = operation.path.replacingOccurrences(of: "{id}", with: "dub_unknown")
                let response = try await client.execute(
                    uri: uri, method: HTTPRequest.Method(operation.method)!, headers: harness.alice.bearer)
                let message = (try? response.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(!message.hasPrefix("no route"), "\(operation): \(message)")
                #expect(response.status != .methodNotAllowed, "\(operation)")
                if let statuses = Self.routes[operation] {
                    #expect(statuses.contains(response.status.code), "\(operation) answered \(response.status.code)")
                }
            }
        }
    }

    @Test("GET /api/openapi.yaml serves the same document")
    func served() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let response = try await client.get("/api/openapi.yaml", as: nil)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == (try Self.specText()))
        }
    }

    @Test("the reader finds paths, methods and statuses, and ignores everything else")
    func reader() {
        let spec = OpenAPIPaths(yaml: """
            paths:
              /a:
                parameters:
                  - { name: id, in: path }
                get:
                  description: >
                    text: with a colon
                  responses:
                    "200": { $ref: "#/x" }
                    "404":
                      description: missing
                delete:
                  responses:
                    "409": { $ref: "#/x" }
            components:
              responses:
                "500": { $ref: "#/x" }
            """)
        #expect(spec.statuses == [.init(method: "GET", path: "/a"): [200, 404], .init(method: "DELETE", path: "/a"): [409]])
    }
}
