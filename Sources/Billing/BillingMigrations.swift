public import Database

/// The tables Billing owns: ledger accounts, transfers and API keys. Other modules reach them only through Billing's types.
public enum BillingMigrations {
    public static let all: [Migration] = [
        Migration("billing.1.ledger", sql: """
            CREATE TABLE ledger_accounts (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('user', 'purchases', 'grants', 'consumed')),
                name TEXT NOT NULL,
                debits_pending INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
                debits_posted INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
                credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
                credits_posted INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
                created_at_ms INTEGER NOT NULL,
                -- TigerBeetle's debits_must_not_exceed_credits for users: the database
                -- itself refuses a movement that would take a user below zero.
                CHECK (kind <> 'user' OR debits_posted + debits_pending <= credits_posted)
            ) STRICT;
            INSERT INTO ledger_accounts (id, kind, name, created_at_ms) VALUES
                (1, 'purchases', 'purchases', 0),
                (2, 'grants', 'grants', 0),
                (3, 'consumed', 'consumed', 0);

            CREATE TABLE ledger_transfers (
                id TEXT PRIMARY KEY,
                debit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                amount INTEGER NOT NULL CHECK (amount > 0),
                phase TEXT NOT NULL CHECK (phase IN ('single', 'pending', 'post', 'void')),
                pending_id TEXT REFERENCES ledger_transfers (id),
                reason TEXT NOT NULL,
                reference TEXT,
                note TEXT,
                created_at_ms INTEGER NOT NULL,
                CHECK (debit_account_id <> credit_account_id),
                CHECK ((phase IN ('post', 'void')) = (pending_id IS NOT NULL))
            ) STRICT;
            -- A pending transfer is resolved (posted or voided) at most once.
            CREATE UNIQUE INDEX ledger_transfers_resolution
                ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
            CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, created_at_ms);
            CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, created_at_ms);
            CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
            BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;
            CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
            BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;

            CREATE TABLE api_keys (
                key_hash TEXT PRIMARY KEY,
                account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                created_at_ms INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX api_keys_account ON api_keys (account_id);
            """),
        // What a user owes when a refunded or disputed purchase had already been spent:
        // immutable entries, positive when owed, negative when repaid or forgiven.
        Migration("billing.3.debts", sql: """
            CREATE TABLE ledger_debts (
                id TEXT PRIMARY KEY,
                account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                credits INTEGER NOT NULL CHECK (credits <> 0),
                reason TEXT NOT NULL CHECK (reason IN ('refund', 'dispute', 'repaid', 'forgiven')),
                reference TEXT,
                created_at_ms INTEGER NOT NULL,
                CHECK ((credits > 0) = (reason IN ('refund', 'dispute')))
            ) STRICT;
            CREATE INDEX ledger_debts_account ON ledger_debts (account_id);
            CREATE TRIGGER ledger_debts_no_update BEFORE UPDATE ON ledger_debts
            BEGIN SELECT RAISE(ABORT, 'ledger debts are immutable'); END;
            CREATE TRIGGER ledger_debts_no_delete BEFORE DELETE ON ledger_debts
            BEGIN SELECT RAISE(ABORT, 'ledger debts are immutable'); END;
            """),
    ]
}
