import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension FakeStripeServer {
    /// Larger bodies than any Checkout request are refused, as Stripe does.
    static let maxBodyBytes = 64 * 1_024

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/checkout/sessions") { request, _ in try await self.createSession(request) }
        addControls(to: router)
        return router
    }

    private func createSession(_ request: Request) async throws -> Response {
        let body = String(decoding: try await request.body.collect(upTo: Self.maxBodyBytes).readableBytesView, as: UTF8.self)
        let authorization = request.headers[.authorization]
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        let contentType = request.headers[.contentType]
        let form = try? FakeStripeForm.decode(body)
        let (index, fault) = state.arrive(FakeStripeRequest(
            path: request.uri.path, authorization: authorization, idempotencyKey: idempotencyKey,
            contentType: contentType, rawBody: body, form: form, status: 0))
        let (status, answer) = try await respond(
            authorization: authorization, contentType: contentType, idempotencyKey: idempotencyKey, body: body, fault: fault)
        state.answered(index, status: status)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("Request-Id")!] = "req_fake_\(UUID().uuidString.prefix(14))"
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
    }

    /// Authentication, decoding and idempotency as Stripe orders them, then the fault, then validation.
    private func respond(
        authorization: String?, contentType: String?, idempotencyKey: String?, body: String, fault: FakeStripeFault?
    ) async throws -> (Int, String) {
        guard let authorization, authorization.hasPrefix("Bearer ") else {
            return Self.error(FakeStripeAPIError(
                status: 401, type: "invalid_request_error",
                message: "You did not provide an API key. Provide it in the Authorization header (Bearer auth).", code: nil))
        }
        let key = String(authorization.dropFirst("Bearer ".count))
        guard key.hasPrefix("sk_test_"), expectedSecretKey.map({ $0 == key }) ?? true else {
            return Self.error(FakeStripeAPIError(
                status: 401, type: "invalid_request_error", message: "Invalid API Key provided: sk_****\(key.suffix(4))",
                code: "api_key_invalid"))
        }
        guard contentType?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return Self.error(.invalid("Content-Type must be application/x-www-form-urlencoded.", param: nil, code: "invalid_content_type"))
        }
        let form: FakeStripeFormValue
        do {
            form = try FakeStripeForm.decode(body)
        } catch {
            return Self.error(.invalid("Invalid request body: \(error)", param: nil, code: "parameter_invalid_empty"))
        }
        guard let idempotencyKey else { return try await execute(form: form, fault: fault) }
        guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= 255 else {
            return Self.error(.invalid("Idempotency keys are 1 to 255 characters.", param: nil, code: "idempotency_key_invalid"))
        }
        switch state.claim(key: idempotencyKey, form: form) {
        case .done(let savedForm, _, _) where savedForm != form, .inFlight(let savedForm) where savedForm != form:
            return Self.error(FakeStripeAPIError(
                status: 400, type: "idempotency_error",
                message: "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                    + "Try using a key other than '\(idempotencyKey)' if you meant to execute a different request.",
                code: "idempotency_key_in_use"))
        case .done(_, let status, let savedBody):
            return (status, savedBody)
        case .inFlight:
            return Self.error(FakeStripeAPIError(
                status: 409, type: "idempotency_error",
                message: "There is currently another in-progress request using this Idempotency Key.",
                code: "idempotency_key_in_use"))
        case nil:
            do {
                let (status, answer) = try await execute(form: form, fault: fault)
                // Stripe keeps results only of requests that got past validation.
                if status == 200 || status >= 500 {
                    state.save(key: idempotencyKey, form: form, status: status, body: answer)
                } else {
                    state.release(key: idempotencyKey)
                }
                return (status, answer)
            } catch {
                state.release(key: idempotencyKey)
                throw error
            }
        }
    }

    private func execute(form: FakeStripeFormValue, fault: FakeStripeFault?) async throws -> (Int, String) {
        switch fault {
        case .serverError:
            return Self.error(FakeStripeAPIError(
                status: 500, type: "api_error", message: "An unknown error occurred while processing your request.", code: nil))
        case .hang:
            // Ends early only when the server stops; the client should have given up long before.
            try await runner.hold(milliseconds: Int(hangSeconds * 1_000))
            return Self.error(FakeStripeAPIError(status: 500, type: "api_error", message: "Hung request released.", code: nil))
        case .delay(let milliseconds):
            try await runner.hold(milliseconds: milliseconds)
        case nil:
            break
        }
        switch FakeStripeCheckoutValidator.validate(form) {
        case .failure(let error):
            return Self.error(error)
        case .success(let checkout):
            let id = "cs_test_" + Self.randomAlphanumerics(58)
            let session = FakeStripeSession(
                id: id, url: "https://checkout.stripe.com/c/pay/\(id)", request: checkout,
                createdSeconds: Int64(Date().timeIntervalSince1970))
            state.add(session)
            return (200, Self.json(Self.sessionObject(session)))
        }
    }

    /// The fields of Stripe's Checkout Session object that a client may read.
    static func sessionObject(_ session: FakeStripeSession, paymentStatus: String = "unpaid", status: String = "open") -> [String: Any] {
        [
            "id": session.id, "object": "checkout.session", "url": session.url, "mode": "payment",
            "payment_status": paymentStatus, "status": status, "livemode": false,
            "amount_subtotal": session.request.amountTotalCents, "amount_total": session.request.amountTotalCents,
            "currency": session.request.currency,
            "client_reference_id": session.request.clientReferenceID.map { $0 as Any } ?? NSNull(),
            "metadata": session.request.metadata, "success_url": session.request.successURL,
            "cancel_url": session.request.cancelURL.map { $0 as Any } ?? NSNull(),
            "created": session.createdSeconds, "expires_at": session.createdSeconds + 86_400,
            "payment_intent": status == "complete" ? FakeStripeWebhook.paymentIntent(ofSession: session.id) : NSNull(),
        ]
    }

    static func error(_ error: FakeStripeAPIError) -> (Int, String) {
        let detail: [String: Any] = [
            "type": error.type, "message": error.message,
            "param": error.param.map { $0 as Any } ?? NSNull(), "code": error.code.map { $0 as Any } ?? NSNull(),
        ]
        return (error.status, json(["error": detail]))
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func randomAlphanumerics(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }
}
