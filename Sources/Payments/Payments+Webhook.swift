import Billing
import Database
import Logging

extension Payments {
    /// Verifies and applies one webhook delivery from Stripe.
    ///
    /// In one write transaction: the event id is recorded once (a repeated id changes
    /// nothing), and an event that confirms payment of a pending session we created moves
    /// the session to `fulfilled` and grants its recorded credits from `purchases`. The
    /// database serializes writes, the grant's id is `purchase:<session>` and the session
    /// changes state only `WHERE status = 'pending'`, so concurrent duplicate deliveries
    /// grant once.
    ///
    /// - Parameters:
    ///   - rawBody: the request body exactly as received; the signature covers these bytes.
    ///   - signatureHeader: the `Stripe-Signature` header, nil when absent.
    /// - Throws: `PaymentsError` (`.webhookDisabled`, `.missingSignature`,
    ///   `.invalidSignature`, `.staleSignature`, `.invalidEvent`) before anything is
    ///   written, or a database error (Stripe then delivers again).
    public func handleWebhook(rawBody: [UInt8], signatureHeader: String?) async throws -> WebhookOutcome {
        guard let signature else {
            throw PaymentsError(.webhookDisabled, "STRIPE_WEBHOOK_SECRET is not set, so no event can be verified")
        }
        let now = clock.nowMilliseconds
        do {
            try signature.verify(body: rawBody, header: signatureHeader, nowSeconds: now / 1_000)
        } catch {
            logger.warning("webhook refused", metadata: ["reason": "\(error.code)", "body_bytes": "\(rawBody.count)"])
            throw error
        }
        let event = try StripeEvent.decode(rawBody)
        let outcome = try await database.write { db in try Self.apply(event, in: db, at: now) }
        logger.info("webhook handled", metadata: [
            "event_id": "\(event.id)", "type": "\(event.type)", "session_id": "\(event.sessionID ?? "-")",
            "outcome": "\(outcome.rawValue)",
        ])
        return outcome
    }

    /// The webhook's transaction: dedupe by event id, fulfil at most once per session,
    /// record the event with what it did.
    static func apply(_ event: StripeEvent, in db: SQLiteConnection, at nowMilliseconds: Int64) throws -> WebhookOutcome {
        let seen = try db.queryFirst("SELECT 1 FROM stripe_events WHERE id = ?", event.id) { _ in true } ?? false
        if seen { return .duplicateEvent }
        let outcome = try fulfil(event, in: db, at: nowMilliseconds)
        try db.execute(
            "INSERT INTO stripe_events (id, type, session_id, outcome, received_at_ms) VALUES (?, ?, ?, ?, ?)",
            event.id, event.type, event.sessionID, outcome.rawValue, nowMilliseconds)
        return outcome
    }

    private static func fulfil(_ event: StripeEvent, in db: SQLiteConnection, at nowMilliseconds: Int64) throws -> WebhookOutcome {
        guard event.confirmsPayment else {
            return event.type == "checkout.session.completed" ? .unpaid : .ignored
        }
        guard let sessionID = event.sessionID,
            let session = try db.queryFirst(
                "SELECT account_id, plan_id, credits, status FROM checkout_sessions WHERE id = ?", sessionID,
                map: { row in (account: AccountID(rawValue: row[0]), planID: row[1] as String, credits: row[2] as Int64, status: row[3] as String) })
        else { return .unknownSession }
        if session.status == "fulfilled" { return .alreadyFulfilled }

        let transferID = "purchase:\(sessionID)"
        // The grant is idempotent by its id as a second line of defence: were the status
        // guard ever bypassed, the same session could still not be granted twice.
        try Ledger(db).grant(
            id: transferID, to: session.account, from: .purchases, amount: session.credits, reason: .purchase,
            note: Plans.plan(id: session.planID)?.name ?? session.planID, reference: sessionID, at: nowMilliseconds)
        let changed = try db.execute(
            """
            UPDATE checkout_sessions SET status = 'fulfilled', grant_transfer_id = ?, fulfilled_at_ms = ?
            WHERE id = ? AND status = 'pending'
            """,
            transferID, nowMilliseconds, sessionID)
        guard changed == 1 else { throw FulfilmentError(sessionID: sessionID) }
        return .fulfilled
    }
}

/// A pending session read in this transaction did not change state in it: impossible
/// while writes are serialized, so the transaction is rolled back rather than trusted.
struct FulfilmentError: Error, CustomStringConvertible {
    let sessionID: String
    var description: String { "checkout session \(sessionID) was pending but could not be marked fulfilled" }
}
