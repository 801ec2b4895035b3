import AsyncHTTPClient
import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1

/// The one Stripe call Auris makes: `POST /v1/checkout/sessions`. It does not retry: the
/// buyer is waiting, and a retry by the caller with the same idempotency key gets the
/// same session from Stripe rather than a second one. Through `OutboundHTTP`
/// (docs/ARCHITECTURE.md, "Outbound HTTP"): a redirect would carry the secret key
/// elsewhere, so a 3xx fails the call.
struct StripeClient: Sendable {
    /// What Stripe answers for a new Checkout Session (the fields Auris needs).
    struct CreatedSession: Sendable, Equatable, Decodable {
        var id: String
        var url: String
    }

    let apiBaseURL: String
    let secretKey: String
    let requestTimeoutSeconds: Double
    let logger: Logger
    /// Stripe's answers here are a few kilobytes; a larger one is refused, not buffered.
    static let maxAnswerBytes = 1 << 20

    init(apiBaseURL: String, secretKey: String, requestTimeoutSeconds: Double, logger: Logger) {
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.secretKey = secretKey
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.logger = logger
    }

    /// Creates a Checkout Session from `form`.
    /// - Parameter idempotencyKey: Stripe answers a repeated key with the first result.
    /// - Throws: `PaymentsError` `.providerUnavailable` (no answer in time),
    ///   `.providerError` (Stripe's error, or an answer without id and url),
    ///   `.idempotencyConflict` (the key was used with other parameters).
    func createCheckoutSession(_ form: StripeForm, idempotencyKey: String) async throws(PaymentsError) -> CreatedSession {
        guard let url = URL(string: "\(apiBaseURL)/v1/checkout/sessions"), url.scheme != nil, url.host != nil else {
            throw PaymentsError(.providerUnavailable, "STRIPE_API_BASE does not form a valid URL")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secretKey)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.headers.add(name: "User-Agent", value: "auris")
        request.body = .bytes(ByteBuffer(string: form.encoded))

        let answer: OutboundHTTP.Answer
        do {
            answer = try await OutboundHTTP.send(request, timeoutSeconds: requestTimeoutSeconds, maxAnswerBytes: Self.maxAnswerBytes)
        } catch {
            let timedOut = (error as? HTTPClientError).map { [.deadlineExceeded, .readTimeout, .connectTimeout].contains($0) } ?? false
            let reason = timedOut ? "did not answer within \(requestTimeoutSeconds) s" : "could not be reached"
            logger.warning("Stripe unavailable", metadata: ["error": "\(error)", "idempotency_key": "\(idempotencyKey)"])
            throw PaymentsError(.providerUnavailable, "the payment provider \(reason); nothing was charged, try again")
        }
        let status = answer.status
        let data = Data(answer.body.readableBytesView)
        let requestID = answer.headers.first(name: "Request-Id") ?? "-"
        guard (200..<300).contains(status) else {
            throw refusal(status: status, body: data, requestID: requestID)
        }
        guard let created = try? JSONDecoder().decode(CreatedSession.self, from: data), Self.isPlausible(created) else {
            logger.error("Stripe answered without a usable session", metadata: ["request_id": "\(requestID)"])
            throw PaymentsError(.providerError, "the payment provider's answer has no checkout session")
        }
        logger.info("Stripe checkout session created", metadata: ["session_id": "\(created.id)", "request_id": "\(requestID)"])
        return created
    }

    /// Turns Stripe's error JSON into a `PaymentsError`, keeping Stripe's message for the
    /// client except where it is about this server's own credentials.
    private func refusal(status: Int, body: Data, requestID: String) -> PaymentsError {
        let error = (try? JSONDecoder().decode(StripeErrorBody.self, from: body))?.error
        logger.warning("Stripe refused", metadata: [
            "status": "\(status)", "type": "\(error?.type ?? "-")", "code": "\(error?.code ?? "-")",
            "param": "\(error?.param ?? "-")", "message": "\(error?.message ?? "-")", "request_id": "\(requestID)",
        ])
        if error?.type == "idempotency_error" {
            return PaymentsError(.idempotencyConflict, error?.message ?? "the idempotency key was used for another request")
        }
        if status == 401 || status == 403 {
            return PaymentsError(.providerError, "the payment provider refused this server's credentials")
        }
        if status >= 500 || status == 429 || status == 409 {
            return PaymentsError(.providerUnavailable, "the payment provider is unavailable (HTTP \(status)); try again")
        }
        return PaymentsError(.providerError, error?.message ?? "the payment provider refused the request (HTTP \(status))")
    }

    private static func isPlausible(_ created: CreatedSession) -> Bool {
        guard !created.id.isEmpty, created.id.utf8.count <= 255, let url = URL(string: created.url) else { return false }
        return url.scheme == "https" || url.scheme == "http"
    }
}

/// Stripe's error shape: `{"error": {"type", "message", "param", "code"}}`.
struct StripeErrorBody: Decodable, Sendable {
    struct Detail: Decodable, Sendable {
        var type: String?
        var message: String?
        var param: String?
        var code: String?
    }

    var error: Detail
}
