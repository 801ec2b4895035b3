import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A known path asked with a method it does not answer: 405 with `Allow` naming exactly
/// the methods docs/openapi.yaml documents for it (RFC 9110), whoever asks.
@Suite(.timeLimit(.minutes(5))) struct MethodNotAllowedTests {
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]

    @Test("every undocumented method on every documented path is 405 method_not_allowed with Allow")
    func undocumentedMethodsAre405WithAllow() async throws {
        let spec = OpenAPIPaths(yaml: try OpenAPITests.specText())
        let documented = Dictionary(grouping: spec.statuses.keys, by: \.path).mapValues { Set($0.map(\.method)) }
        #expect(documented.count >= 15)
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            for (path, allowed) in documented.sorted(by: { $0.key < $1.key }) {
                let uri = path.replacingOccurrences(of: "{id}", with: "dub_unknown")
                for method in Self.methods where !allowed.contains(method) {
                    let response = try await client.execute(uri: uri, method: HTTPRequest.Method(method)!, headers: harness.alice.bearer)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path) answered \(response.status.code)")
                    #expect(response.headers[.allow] == allowed.sorted().joined(separator: ", "), "\(method) \(path)")
                    if method != "HEAD" {
                        #expect(try response.errorCode() == "method_not_allowed", "\(method) \(path)")
                    }
                }
            }
        }
    }

    @Test("405 does not wait for a key: the method does not exist for anyone")
    func withoutAKeyStill405() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/dub/dub_unknown", method: .put)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "DELETE, GET")
            let credits = try await client.execute(uri: "/api/credits", method: .post)
            #expect(credits.status == .methodNotAllowed)
            #expect(credits.headers[.allow] == "GET")
        }
    }

    @Test("a path no route knows stays 404 not_found, whatever the method")
    func unknownPathsStay404() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            for (uri, method) in [("/api/nothing", HTTPRequest.Method.get), ("/api/dub/x/y/z", .put), ("/healthz/more", .delete)] {
                let response = try await client.execute(uri: uri, method: method, headers: harness.alice.bearer)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(try response.errorCode() == "not_found")
            }
        }
    }
}
