import API
import AurisTestSupport
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Queue
import Testing

/// `docs/openapi.yaml` describes the router as it is: every route and every status
/// code the code can answer is documented, and every documented path is routed.
struct OpenAPITests {
    /// Every route of `AurisAPI.router` and the statuses its code can answer. Hummingbird's
    /// router lists no routes, so a new route must be added here, and then to the spec.
    static let routes: [OpenAPIPaths.Operation: Set<Int>] = [
        .init(method: "GET", path: "/healthz"): [200],
        .init(method: "GET", path: "/readyz"): [200, 503],
        .init(method: "GET", path: "/metrics"): [200],
        .init(method: "GET", path: "/api/openapi.yaml"): [200],
        .init(method: "GET", path: "/api/plans"): [200],
        .init(method: "GET", path: "/api/languages"): [200],
        .init(method: "POST", path: "/api/stripe/webhook"): [200, 400, 413, 503],
        .init(method: "POST", path: "/api/checkout"): [200, 400, 401, 413, 422, 502, 503],
        .init(method: "POST", path: "/api/dub"): [202, 400, 401, 402, 413, 415, 422, 429],
        .init(method: "GET", path: "/api/dub"): [200, 400, 401],
        .init(method: "GET", path: "/api/dub/{id}"): [200, 401, 404],
        .init(method: "DELETE", path: "/api/dub/{id}"): [200, 202, 401, 404, 409],
        .init(method: "GET", path: "/api/dub/{id}/result"): [200, 401, 404, 409, 410],
        .init(method: "GET", path: "/api/dub/{id}/events"): [200, 401, 404],
        .init(method: "GET", path: "/api/credits"): [200, 401],
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
