public import Database

/// The tables Queue owns: jobs, and one lane per account that keeps claims fair.
public enum QueueMigrations {
    public static let all: [Migration] = [
        Migration("queue.1.jobs", sqlite: """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
                cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
                priority INTEGER NOT NULL DEFAULT 0,
                run_at_ms INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
                lease_owner TEXT,
                lease_expires_at_ms INTEGER,
                hold_id TEXT NOT NULL UNIQUE REFERENCES ledger_transfers (id),
                credits INTEGER NOT NULL CHECK (credits > 0),
                duration_ms INTEGER NOT NULL CHECK (duration_ms > 0),
                payload TEXT NOT NULL,
                idempotency_key TEXT,
                request_fingerprint TEXT,
                stage TEXT,
                progress REAL NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
                error_code TEXT,
                error_message TEXT,
                created_at_ms INTEGER NOT NULL,
                started_at_ms INTEGER,
                finished_at_ms INTEGER,
                updated_at_ms INTEGER NOT NULL,
                CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CHECK ((state IN ('succeeded', 'failed', 'canceled')) = (finished_at_ms IS NOT NULL)),
                UNIQUE (account_id, idempotency_key)
            ) STRICT;
            -- Partial indexes hold only the rows a claim or a rescue looks at, so a job
            -- leaves them when it starts or ends and writes stay cheap.
            CREATE INDEX jobs_lane_next ON jobs (account_id, priority DESC, run_at_ms) WHERE state = 'queued';
            CREATE INDEX jobs_lane_due ON jobs (account_id, run_at_ms) WHERE state = 'queued';
            CREATE INDEX jobs_leases ON jobs (lease_expires_at_ms) WHERE state = 'running';
            CREATE INDEX jobs_owner ON jobs (lease_owner) WHERE state = 'running';
            CREATE INDEX jobs_account_created ON jobs (account_id, created_at_ms, id);

            -- One row per account with jobs: counts and the earliest due time of its queued
            -- jobs, so a claim finds the least-served account without scanning the backlog.
            CREATE TABLE queue_lanes (
                account_id INTEGER PRIMARY KEY,
                queued INTEGER NOT NULL DEFAULT 0 CHECK (queued >= 0),
                running INTEGER NOT NULL DEFAULT 0 CHECK (running >= 0),
                next_run_at_ms INTEGER,
                served_at_ms INTEGER NOT NULL DEFAULT 0,
                CHECK ((queued = 0) = (next_run_at_ms IS NULL))
            ) STRICT;
            CREATE INDEX queue_lanes_ready ON queue_lanes (running, served_at_ms) WHERE queued > 0;
            """,
            postgresql: """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
                cancel_requested BIGINT NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
                priority BIGINT NOT NULL DEFAULT 0,
                run_at_ms BIGINT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                max_attempts BIGINT NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
                lease_owner TEXT,
                lease_expires_at_ms BIGINT,
                hold_id TEXT NOT NULL UNIQUE REFERENCES ledger_transfers (id),
                credits BIGINT NOT NULL CHECK (credits > 0),
                duration_ms BIGINT NOT NULL CHECK (duration_ms > 0),
                payload TEXT NOT NULL,
                idempotency_key TEXT,
                request_fingerprint TEXT,
                stage TEXT,
                progress DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
                error_code TEXT,
                error_message TEXT,
                created_at_ms BIGINT NOT NULL,
                started_at_ms BIGINT,
                finished_at_ms BIGINT,
                updated_at_ms BIGINT NOT NULL,
                CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CHECK ((state IN ('succeeded', 'failed', 'canceled')) = (finished_at_ms IS NOT NULL)),
                UNIQUE (account_id, idempotency_key)
            );
            CREATE INDEX jobs_lane_next ON jobs (account_id, priority DESC, run_at_ms) WHERE state = 'queued';
            CREATE INDEX jobs_lane_due ON jobs (account_id, run_at_ms) WHERE state = 'queued';
            CREATE INDEX jobs_leases ON jobs (lease_expires_at_ms) WHERE state = 'running';
            CREATE INDEX jobs_owner ON jobs (lease_owner) WHERE state = 'running';
            CREATE INDEX jobs_account_created ON jobs (account_id, created_at_ms, id);

            CREATE TABLE queue_lanes (
                account_id BIGINT PRIMARY KEY,
                queued BIGINT NOT NULL DEFAULT 0 CHECK (queued >= 0),
                running BIGINT NOT NULL DEFAULT 0 CHECK (running >= 0),
                next_run_at_ms BIGINT,
                served_at_ms BIGINT NOT NULL DEFAULT 0,
                CHECK ((queued = 0) = (next_run_at_ms IS NULL))
            );
            CREATE INDEX queue_lanes_ready ON queue_lanes (running, served_at_ms) WHERE queued > 0;
            """),
        Migration("queue.2.upload_id", sqlite: """
            -- The upload a job reads, by id, so that a sweeper asks the queue, not the payload
            -- text, whether an upload is still needed.
            ALTER TABLE jobs ADD COLUMN upload_id TEXT;
            -- Jobs queued before named their upload by path: <data>/uploads/<upload id>/source.
            -- First the folder, then its last component when its parent is an uploads folder.
            UPDATE jobs SET upload_id = substr(json_extract(payload, '$.sourceAudioPath'), 1,
                    length(json_extract(payload, '$.sourceAudioPath')) - length('/source'))
                WHERE json_valid(payload) AND json_extract(payload, '$.sourceAudioPath') LIKE '%/uploads/%/source';
            UPDATE jobs SET upload_id = CASE
                    WHEN rtrim(upload_id, replace(upload_id, '/', '')) LIKE '%/uploads/'
                    THEN substr(upload_id, length(rtrim(upload_id, replace(upload_id, '/', ''))) + 1)
                END
                WHERE upload_id IS NOT NULL;
            -- Only unfinished jobs hold an upload: a sweeper's question touches only them.
            CREATE INDEX jobs_upload ON jobs (upload_id) WHERE state IN ('queued', 'running');
            """,
            // No PostgreSQL database predates upload ids: nothing to carry over.
            postgresql: """
            ALTER TABLE jobs ADD COLUMN upload_id TEXT;
            CREATE INDEX jobs_upload ON jobs (upload_id) WHERE state IN ('queued', 'running');
            """),
        Migration("queue.3.claim_token", sql: """
            -- Each claim's own token, set by the claim and cleared when the job leaves
            -- running: heartbeats and settles name it, so an attempt whose lease expired
            -- settles nothing after a re-claim, even by another slot of the same worker.
            ALTER TABLE jobs ADD COLUMN claim_token TEXT;
            -- Jobs running at the upgrade get a token their rescue can name.
            UPDATE jobs SET claim_token = 'claim_' || id WHERE state = 'running';
            """),
        Migration("queue.4.watched_until", sqlite: """
            -- Until when a client's event stream watches the job: only then do its changes
            -- send a notification (JobQueue.changeChannel), so unwatched jobs cost no NOTIFY.
            ALTER TABLE jobs ADD COLUMN watched_until_ms INTEGER;
            """,
            postgresql: """
            ALTER TABLE jobs ADD COLUMN watched_until_ms BIGINT;
            """),
        Migration("queue.5.media_rows", sqlite: Self.mediaRows(integer: "INTEGER"), postgresql: Self.mediaRows(integer: "BIGINT")),
        webhooks,
        Migration("queue.7.no_owner_index", sql: """
            -- Every claim and every end of a job inserted into and deleted from this index.
            -- Its one reader, a dead worker's release, scans the running jobs through
            -- jobs_leases instead: at most every worker's slots, a few hundred rows.
            DROP INDEX jobs_owner;
            """),
    ]

    /// Media is removed by rows, never by listing a store (docs/ARCHITECTURE.md, "Media
    /// store"). An upload's row lives exactly as long as its objects: it is written before
    /// the first put and removed after the last delete, so an upload whose server died
    /// between the put and the enqueue is still found. `result_expired` marks the jobs whose
    /// result the sweeper has removed, so each is removed once.
    private static func mediaRows(integer: String) -> String {
        """
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            account_id \(integer) NOT NULL REFERENCES ledger_accounts (id),
            created_at_ms \(integer) NOT NULL
        );
        CREATE INDEX uploads_created ON uploads (created_at_ms);
        -- Uploads that unfinished jobs read today were put before this table existed.
        INSERT INTO uploads (id, account_id, created_at_ms)
            SELECT upload_id, min(account_id), min(created_at_ms) FROM jobs
            WHERE upload_id IS NOT NULL AND state IN ('queued', 'running') GROUP BY upload_id;
        ALTER TABLE jobs ADD COLUMN result_expired \(integer) NOT NULL DEFAULT 0 CHECK (result_expired IN (0, 1));
        CREATE INDEX jobs_result_due ON jobs (finished_at_ms) WHERE result_expired = 0 AND finished_at_ms IS NOT NULL;
        """
    }
}
