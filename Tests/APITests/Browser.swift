import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What a browser does with our cookies: keeps what `Set-Cookie` gave, sends it back
/// in `Cookie`, and (as the web app does) echoes `auris_csrf` in `X-CSRF-Token` on
/// state changes, from our own origin.
struct Browser {
    var cookies: [String: String] = [:]
    var origin: String? = "http://auris.test"
    /// The `Set-Cookie` lines of the last answer, attributes and all.
    var lastSetCookies: [String] = []

    var session: String? { cookies["auris_session"] }
    var csrf: String? { cookies["auris_csrf"] }

    mutating func absorb(_ response: TestResponse) {
        lastSetCookies = response.headers[values: .setCookie]
        for line in lastSetCookies {
            let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    /// Headers for a request; `csrf: nil` leaves the CSRF header out.
    func headers(csrf: String?? = .none, json: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if let origin { headers[.origin] = origin }
        switch csrf {
        case .none: if let token = self.csrf { headers[HTTPField.Name("X-CSRF-Token")!] = token }
        case .some(.some(let token)): headers[HTTPField.Name("X-CSRF-Token")!] = token
        case .some(.none): break
        }
        if json { headers[.contentType] = "application/json" }
        return headers
    }

    /// Sends a request as this browser and keeps the cookies of the answer.
    mutating func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: [String: String]? = nil,
        csrf: String?? = .none
    ) async throws -> TestResponse {
        let body = try json.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        let response = try await client.execute(uri: uri, method: method, headers: headers(csrf: csrf, json: json != nil), body: body)
        absorb(response)
        return response
    }

    mutating func signUp(_ client: some TestClientProtocol, email: String, password: String = "correct horse 1") async throws -> TestResponse {
        try await send(client, .post, "/api/signup", json: ["email": email, "password": password])
    }

    mutating func logIn(_ client: some TestClientProtocol, email: String, password: String = "correct horse 1") async throws -> TestResponse {
        try await send(client, .post, "/api/login", json: ["email": email, "password": password])
    }
}
