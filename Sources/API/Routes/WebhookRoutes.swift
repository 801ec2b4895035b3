import Billing
import Foundation
import HTTPTransport
import HTTPTypes
import Hummingbird
import Queue

/// `POST/GET /api/webhooks`, `DELETE /api/webhooks/{id}`, `POST /api/webhooks/{id}/rotate`,
/// `GET /api/webhooks/deliveries` and `POST /api/webhooks/deliveries/{id}/resend`: the
/// signed-in account's completion webhooks (docs/ARCHITECTURE.md, "Webhooks").
struct WebhookRoutes: Sendable {
    let endpoints: WebhookEndpoints
    let deliveries: WebhookDeliveries
    let destinations: DestinationPolicy

    static func register(on group: RouterGroup<AurisRequestContext>, routes: WebhookRoutes) {
        group.post("webhooks", use: routes.create)
        group.get("webhooks", use: routes.list)
        group.delete("webhooks/:id", use: routes.delete)
        group.post("webhooks/:id/rotate", use: routes.rotate)
        group.get("webhooks/deliveries", use: routes.recentDeliveries)
        group.post("webhooks/deliveries/:id/resend", use: routes.resend)
    }

    func create(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        struct Body: Decodable { var url: String }
        // Room for the longest URL the spec allows in its longest JSON form: 2,048 blanks
        // around it, each written as a six-byte `\u0085` (the contract fuzzer sent those).
        let body = try await BodyReader.json(Body.self, of: request, limitBytes: 16_384, shape: #"{"url": "https://…"}"#)
        guard let url = body.url.trimmed(maxLengthAsSent: WebhookEndpoints.maxURLBytes),
              (1...WebhookEndpoints.maxURLBytes).contains(url.utf8.count)
        else {
            throw APIError(.unprocessableContent, DestinationPolicy.Codes.invalid,
                           "a webhook URL has 1 to \(WebhookEndpoints.maxURLBytes) bytes")
        }
        if case .refused(let code, let message) = await destinations.check(url) {
            throw APIError(.unprocessableContent, code, message)
        }
        switch try await endpoints.create(for: account, url: url) {
        case .limitReached(let limit):
            throw APIError(.conflict, "too_many_webhooks", "the account already has \(limit) webhook endpoints; delete one first",
                           details: ["limit": Int64(limit)])
        case .created(let created):
            return try Self.shownOnce(created, status: .created)
        }
    }

    func list(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let list = try await endpoints.list(of: try context.requireAccount())
        return try JSONResponse.make(["ok": .bool(true), "webhooks": .array(list.map { .object(Self.fields($0)) })])
    }

    func delete(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = context.parameters.get("id") ?? ""
        guard try await endpoints.delete(id, of: account) else { throw APIError.notFound("no such webhook endpoint") }
        return try JSONResponse.make(["ok": .bool(true), "id": .string(id), "deleted": .bool(true)])
    }

    func rotate(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let rotated = try await endpoints.rotate(context.parameters.get("id") ?? "", of: account) else {
            throw APIError.notFound("no such webhook endpoint")
        }
        return try Self.shownOnce(rotated, status: .ok)
    }

    func recentDeliveries(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let recent = try await deliveries.recent(of: try context.requireAccount())
        return try JSONResponse.make(["ok": .bool(true), "deliveries": .array(recent.map { .object(Self.fields($0)) })])
    }

    func resend(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = context.parameters.get("id") ?? ""
        switch try await deliveries.resend(id, of: account) {
        case .scheduled:
            return try JSONResponse.make(status: .accepted, ["ok": .bool(true), "id": .string(id), "state": .string("pending")])
        case .notFound:
            throw APIError.notFound("no such webhook delivery")
        case .inProgress:
            throw APIError.conflict("delivery_in_progress", "an attempt of this delivery is under way; wait for its outcome")
        case .endpointDeleted:
            throw APIError.conflict("endpoint_deleted", "this delivery's endpoint was deleted")
        }
    }

    /// The endpoint with its secret: the one answer that ever shows it.
    private static func shownOnce(_ endpoint: WebhookEndpoints.WithSecret, status: HTTPResponse.Status) throws -> Response {
        var fields = Self.fields(endpoint.endpoint)
        fields["ok"] = .bool(true)
        fields["secret"] = .string(endpoint.secret)
        return try JSONResponse.make(status: status, fields)
    }

    private static func fields(_ endpoint: WebhookEndpoints.Endpoint) -> [String: JSONValue] {
        [
            "id": .string(endpoint.id), "url": .string(endpoint.url),
            "created_at": .string(JobView.timestamp(endpoint.createdAtMilliseconds)),
            "previous_secret_expires_at": endpoint.previousSecretExpiresAtMilliseconds.map { .string(JobView.timestamp($0)) } ?? .null,
        ]
    }

    private static func fields(_ delivery: WebhookDeliveries.Summary) -> [String: JSONValue] {
        func time(_ milliseconds: Int64?) -> JSONValue { milliseconds.map { .string(JobView.timestamp($0)) } ?? .null }
        return [
            "id": .string(delivery.id), "event_id": .string(delivery.eventID), "type": .string(delivery.type),
            "job_id": .string(delivery.jobID), "webhook_id": .string(delivery.endpointID), "url": .string(delivery.url),
            "state": .string(delivery.state), "attempts": .integer(Int64(delivery.attempts)),
            "next_attempt_at": time(delivery.nextAttemptAtMilliseconds),
            "last_attempt_at": time(delivery.lastAttemptAtMilliseconds),
            "last_status": delivery.lastStatus.map { .integer(Int64($0)) } ?? .null,
            "last_error": .optional(delivery.lastError),
            "finished_at": time(delivery.finishedAtMilliseconds), "created_at": time(delivery.createdAtMilliseconds),
        ]
    }
}
