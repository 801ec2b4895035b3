import Database

extension QueueMigrations {
    /// Completion webhooks (docs/ARCHITECTURE.md, "Webhooks"): the endpoints an account
    /// registers, one event per finished job, and one delivery per event and endpoint.
    /// Queue owns them because the event and its deliveries are written in the job's own
    /// finishing transaction (`JobQueue.apply`).
    static let webhooks = Migration(
        "queue.6.webhooks", sqlite: webhookTables(integer: "INTEGER", strict: " STRICT"),
        postgresql: webhookTables(integer: "BIGINT", strict: ""))

    private static func webhookTables(integer: String, strict: String) -> String {
        """
        -- The secret signs deliveries, so it is kept as it is (unlike API keys, which are
        -- only compared). A rotation keeps the old one signing until its expiry.
        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            account_id \(integer) NOT NULL REFERENCES ledger_accounts (id),
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_secret_expires_at_ms \(integer),
            created_at_ms \(integer) NOT NULL,
            deleted_at_ms \(integer),
            CHECK ((previous_secret IS NULL) = (previous_secret_expires_at_ms IS NULL))
        )\(strict);
        CREATE INDEX webhook_endpoints_active ON webhook_endpoints (account_id, created_at_ms) WHERE deleted_at_ms IS NULL;

        -- One event per finished job: a job ends once, so its event id never changes.
        -- The body is rendered once, by the first attempt, and every attempt sends it.
        CREATE TABLE webhook_events (
            id TEXT PRIMARY KEY,
            account_id \(integer) NOT NULL REFERENCES ledger_accounts (id),
            job_id TEXT NOT NULL UNIQUE REFERENCES jobs (id),
            type TEXT NOT NULL CHECK (type IN ('dub.succeeded', 'dub.failed', 'dub.canceled')),
            created_at_ms \(integer) NOT NULL,
            body TEXT
        )\(strict);

        -- due_at_ms: when a pending delivery is tried next, or when a delivering one's
        -- lease runs out (a claim whose worker died is taken again then).
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL REFERENCES webhook_events (id),
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
            account_id \(integer) NOT NULL REFERENCES ledger_accounts (id),
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
            attempts \(integer) NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            due_at_ms \(integer),
            give_up_at_ms \(integer) NOT NULL,
            claim_token TEXT,
            last_attempt_at_ms \(integer),
            last_status \(integer),
            last_error TEXT,
            finished_at_ms \(integer),
            created_at_ms \(integer) NOT NULL,
            UNIQUE (event_id, endpoint_id),
            CHECK ((state IN ('pending', 'delivering')) = (due_at_ms IS NOT NULL)),
            CHECK ((state = 'delivering') = (claim_token IS NOT NULL))
        )\(strict);
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at_ms) WHERE state IN ('pending', 'delivering');
        CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at_ms);
        CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id) WHERE state IN ('pending', 'delivering');
        CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at_ms) WHERE state IN ('delivered', 'failed');
        CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
        """
    }
}
