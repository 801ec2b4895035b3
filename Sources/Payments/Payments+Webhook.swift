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

    /// The webhook's transaction: dedupe by event id, fulfil at most once per session or
    /// take back a refunded or disputed share at most once, record the event with what it
    /// did. An event about a purchase Auris does not know throws `unknownPurchase`: it is
    /// not recorded, so a later delivery (Stripe retries) is handled afresh.
    static func apply(_ event: StripeEvent, in db: any SQLConnection, at nowMilliseconds: Int64) throws -> WebhookOutcome {
        let seen = try db.queryFirst("SELECT 1 AS seen FROM stripe_events WHERE id = ?", event.id) { _ in true } ?? false
        if seen { return .duplicateEvent }
        let outcome = event.reversesPayment
            ? try reverse(event, in: db, at: nowMilliseconds)
            : try fulfil(event, in: db, at: nowMilliseconds)
        try db.execute(
            "INSERT INTO stripe_events (id, type, session_id, outcome, received_at_ms) VALUES (?, ?, ?, ?, ?)",
            event.id, event.type, event.sessionID, outcome.rawValue, nowMilliseconds)
        return outcome
    }

    private static func fulfil(_ event: StripeEvent, in db: any SQLConnection, at nowMilliseconds: Int64) throws -> WebhookOutcome {
        guard event.confirmsPayment else {
            return event.type == "checkout.session.completed" ? .unpaid : .ignored
        }
        guard let sessionID = event.sessionID,
            let session = try db.queryFirst(
                "SELECT account_id, plan_id, credits, status FROM checkout_sessions WHERE id = ?", sessionID,
                map: { row in
                    (account: AccountID(rawValue: row["account_id"]), planID: row["plan_id"] as String,
                     credits: row["credits"] as Int64, status: row["status"] as String)
                })
        else { throw Self.unknownPurchase("checkout session") }
        if session.status == "fulfilled" { return .alreadyFulfilled }

        let transferID = "purchase:\(sessionID)"
        // The grant is idempotent by its id as a second line of defence: were the status
        // guard ever bypassed, the same session could still not be granted twice.
        let ledger = Ledger(db)
        try ledger.grant(
            id: transferID, to: session.account, from: .purchases, amount: session.credits, reason: .purchase,
            note: Plans.plan(id: session.planID)?.name ?? session.planID, reference: sessionID, at: nowMilliseconds)
        let changed = try db.execute(
            """
            UPDATE checkout_sessions SET status = 'fulfilled', grant_transfer_id = ?, fulfilled_at_ms = ?, payment_intent_id = ?
            WHERE id = ? AND status = 'pending'
            """,
            transferID, nowMilliseconds, event.paymentIntent, sessionID)
        guard changed == 1 else { throw FulfilmentError(sessionID: sessionID) }
        // A buyer who owed credits (an earlier purchase refunded after it was spent) pays
        // the debt from this purchase first.
        try ledger.repayDebt(of: session.account, reference: sessionID, at: nowMilliseconds)
        return .fulfilled
    }

    /// `charge.refunded` (whole or partial; Stripe sends the cumulative refunded amount)
    /// and `charge.dispute.created` (the whole purchase): takes back the matching share
    /// of the session's credits, less what earlier events took back.
    private static func reverse(_ event: StripeEvent, in db: any SQLConnection, at nowMilliseconds: Int64) throws -> WebhookOutcome {
        guard let paymentIntent = event.paymentIntent,
            let session = try db.queryFirst(
                """
                SELECT id, account_id, credits, amount_cents, credits_reversed FROM checkout_sessions
                WHERE payment_intent_id = ? AND status = 'fulfilled'
                """, paymentIntent,
                map: { row in
                    (id: row["id"] as String, account: AccountID(rawValue: row["account_id"]), credits: row["credits"] as Int64,
                     amountCents: row["amount_cents"] as Int64, reversed: row["credits_reversed"] as Int64)
                })
        else { throw Self.unknownPurchase("payment") }
        let isDispute = event.type == "charge.dispute.created"
        let target: Int64
        if isDispute {
            target = session.credits
        } else {
            let amount = max(1, event.amountCents ?? session.amountCents)
            let refunded = min(event.amountRefundedCents ?? 0, amount)
            // Rounded up: a refunded share of money takes back at least its share of credits.
            target = (session.credits * refunded + amount - 1) / amount
        }
        let delta = target - session.reversed
        guard delta > 0 else { return .alreadyReversed }
        let reason: Ledger.ReversalReason = isDispute ? .dispute : .refund
        try Ledger(db).reverse(
            id: "\(reason.rawValue):\(session.id):\(target)", account: session.account, credits: delta, reason: reason,
            reference: session.id, at: nowMilliseconds)
        let changed = try db.execute(
            "UPDATE checkout_sessions SET credits_reversed = ? WHERE id = ? AND credits_reversed = ?",
            target, session.id, session.reversed)
        guard changed == 1 else { throw FulfilmentError(sessionID: session.id) }
        return .reversed
    }

    private static func unknownPurchase(_ what: String) -> PaymentsError {
        PaymentsError(.unknownPurchase, "no \(what) of this event is known here yet; deliver it again later")
    }
}

/// A session read in this transaction did not change as expected in it: impossible
/// while writes are serialized, so the transaction is rolled back rather than trusted.
struct FulfilmentError: Error, CustomStringConvertible {
    let sessionID: String
    var description: String { "checkout session \(sessionID) changed under its webhook's transaction" }
}
