public import Database

/// The tables Payments owns: Stripe Checkout sessions and the Stripe events already
/// handled. Other modules reach them only through `Payments`.
///
/// The identifier keeps its first name, `billing.2.checkout`, from when Billing owned
/// these tables: databases created then have it recorded as applied.
public enum PaymentsMigrations {
    public static let all: [Migration] = [
        Migration("billing.2.checkout", sqlite: """
            CREATE TABLE checkout_sessions (
                id TEXT PRIMARY KEY,
                account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                plan_id TEXT NOT NULL,
                credits INTEGER NOT NULL CHECK (credits > 0),
                amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
                currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'fulfilled')),
                grant_transfer_id TEXT UNIQUE REFERENCES ledger_transfers (id),
                created_at_ms INTEGER NOT NULL,
                fulfilled_at_ms INTEGER,
                CHECK ((status = 'fulfilled') = (grant_transfer_id IS NOT NULL))
            ) STRICT;
            CREATE INDEX checkout_sessions_account ON checkout_sessions (account_id, created_at_ms);

            CREATE TABLE stripe_events (
                id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                session_id TEXT,
                outcome TEXT NOT NULL,
                received_at_ms INTEGER NOT NULL
            ) STRICT;
            """,
            postgresql: """
            CREATE TABLE checkout_sessions (
                id TEXT PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
                plan_id TEXT NOT NULL,
                credits BIGINT NOT NULL CHECK (credits > 0),
                amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
                currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'fulfilled')),
                grant_transfer_id TEXT UNIQUE REFERENCES ledger_transfers (id),
                created_at_ms BIGINT NOT NULL,
                fulfilled_at_ms BIGINT,
                CHECK ((status = 'fulfilled') = (grant_transfer_id IS NOT NULL))
            );
            CREATE INDEX checkout_sessions_account ON checkout_sessions (account_id, created_at_ms);

            CREATE TABLE stripe_events (
                id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                session_id TEXT,
                outcome TEXT NOT NULL,
                received_at_ms BIGINT NOT NULL
            );
            """),
        // The payment each fulfilled session was paid with, so a refund or a dispute of
        // that payment finds its purchase, and how much of it was taken back so far.
        Migration("payments.3.reversals", sqlite: """
            ALTER TABLE checkout_sessions ADD COLUMN payment_intent_id TEXT;
            ALTER TABLE checkout_sessions ADD COLUMN credits_reversed INTEGER NOT NULL DEFAULT 0 CHECK (credits_reversed >= 0);
            CREATE UNIQUE INDEX checkout_sessions_payment_intent ON checkout_sessions (payment_intent_id)
                WHERE payment_intent_id IS NOT NULL;
            """,
            postgresql: """
            ALTER TABLE checkout_sessions ADD COLUMN payment_intent_id TEXT;
            ALTER TABLE checkout_sessions ADD COLUMN credits_reversed BIGINT NOT NULL DEFAULT 0 CHECK (credits_reversed >= 0);
            CREATE UNIQUE INDEX checkout_sessions_payment_intent ON checkout_sessions (payment_intent_id)
                WHERE payment_intent_id IS NOT NULL;
            """),
    ]
}
