import Billing
import Foundation
import Hummingbird

/// `POST /api/keys`, `GET /api/keys` and `DELETE /api/keys/{id}`: the signed-in
/// account's API keys for programs.
struct KeyRoutes: Sendable {
    let accounts: Accounts

    func create(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        struct Body: Decodable { var name: String }
        let body = try await BodyReader.json(Body.self, of: request, limitBytes: 4_096, shape: #"{"name": "…"}"#)
        guard let name = body.name.trimmed(maxLengthAsSent: 100), !name.isEmpty else {
            throw APIError.invalidRequest("a key's name has 1 to 100 characters")
        }
        let created = try await accounts.createKey(for: account, name: name)
        var fields = Self.fields(created.summary)
        fields["ok"] = .bool(true)
        fields["api_key"] = .string(created.apiKey)
        return try JSONResponse.make(status: .created, fields)
    }

    func list(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let keys = try await accounts.keys(of: try context.requireAccount())
        return try JSONResponse.make(["ok": .bool(true), "keys": .array(keys.map { .object(Self.fields($0)) })])
    }

    func revoke(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = context.parameters.get("id") ?? ""
        guard try await accounts.revokeKey(id, of: account) else { throw APIError.notFound("no such API key") }
        return try JSONResponse.make(["ok": .bool(true), "id": .string(id), "revoked": .bool(true)])
    }

    private static func fields(_ key: Accounts.KeySummary) -> [String: JSONValue] {
        [
            "id": .string(key.id), "name": .string(key.name), "prefix": .string(key.prefix),
            "created_at": .string(JobView.timestamp(key.createdAtMilliseconds)),
            "last_used_at": key.lastUsedAtMilliseconds.map { .string(JobView.timestamp($0)) } ?? .null,
        ]
    }
}
