import Database

extension BillingMigrations {
    /// Email and password logins, server-side sessions, and API keys that have an id, a
    /// name and a prefix to list, a last use, and can be revoked (docs/ARCHITECTURE.md,
    /// "Accounts, sessions and keys"). Tokens are stored only as SHA-256 hashes.
    static let logins = Migration("billing.5.logins_sessions_keys", sqlite: """
        CREATE TABLE account_logins (
            account_id INTEGER PRIMARY KEY REFERENCES ledger_accounts (id),
            email TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE account_sessions (
            token_hash TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
            csrf_hash TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX account_sessions_account ON account_sessions (account_id);
        ALTER TABLE api_keys ADD COLUMN id TEXT;
        ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_keys ADD COLUMN last_used_at_ms INTEGER;
        ALTER TABLE api_keys ADD COLUMN revoked_at_ms INTEGER;
        UPDATE api_keys SET id = 'key_' || substr(key_hash, 1, 26) WHERE id IS NULL;
        CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
        """,
        postgresql: """
        CREATE TABLE account_logins (
            account_id BIGINT PRIMARY KEY REFERENCES ledger_accounts (id),
            email TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL
        );
        CREATE TABLE account_sessions (
            token_hash TEXT PRIMARY KEY,
            account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
            csrf_hash TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL,
            expires_at_ms BIGINT NOT NULL
        );
        CREATE INDEX account_sessions_account ON account_sessions (account_id);
        ALTER TABLE api_keys ADD COLUMN id TEXT;
        ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_keys ADD COLUMN last_used_at_ms BIGINT;
        ALTER TABLE api_keys ADD COLUMN revoked_at_ms BIGINT;
        UPDATE api_keys SET id = 'key_' || substr(key_hash, 1, 26) WHERE id IS NULL;
        CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
        """)
}
