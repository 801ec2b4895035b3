import Foundation
import Hummingbird
import NIOCore

extension FakeStripeServer {
    /// Controls for a script driving the fake as a process (`fake-stripe`), where the
    /// Swift API is out of reach:
    ///
    /// - `GET /_fake/sessions`: `{"sessions": [{"id", "amount_total", "metadata", …}]}`, the
    ///   Checkout Sessions created so far.
    /// - `POST /_fake/webhook` `{"session_id", "type"?, "payment_status"?, "secrets": [...],
    ///   "timestamp"?}`: a delivery signed by `FakeStripeWebhook` as Stripe would send it,
    ///   `{"event_id", "body", "signature"}` (the body as a string, signed byte for byte).
    func addControls(to router: Router<BasicRequestContext>) {
        router.get("/_fake/sessions") { _, _ in
            let sessions = self.sessions.values.sorted { $0.id < $1.id }.map { Self.sessionObject($0) }
            return Self.controlAnswer(["sessions": sessions])
        }
        router.post("/_fake/webhook") { request, _ in
            struct Ask: Decodable {
                var session_id: String
                var type: String?
                var payment_status: String?
                var secrets: [String]
                var timestamp: Int64?
            }
            let body = try await request.body.collect(upTo: 1 << 16)
            let ask = try JSONDecoder().decode(Ask.self, from: Data(body.readableBytesView))
            let delivery = FakeStripeWebhook.delivery(
                type: ask.type ?? "checkout.session.completed", sessionID: ask.session_id, session: self.sessions[ask.session_id],
                paymentStatus: ask.payment_status ?? "paid", secrets: ask.secrets,
                timestampSeconds: ask.timestamp ?? Int64(Date().timeIntervalSince1970))
            return Self.controlAnswer([
                "event_id": delivery.eventID, "body": String(decoding: delivery.body, as: UTF8.self),
                "signature": delivery.signatureHeader,
            ])
        }
    }

    private static func controlAnswer(_ object: [String: Any]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: json(object))))
    }

    /// Serves until the calling task is cancelled, then stops: the body of the
    /// `fake-stripe` executable.
    /// - Parameter onStarted: receives the port once the server listens.
    public func run(onStarted: (Int) -> Void) async throws {
        onStarted(try await start())
        await runner.waitUntilCancelled()
    }
}
