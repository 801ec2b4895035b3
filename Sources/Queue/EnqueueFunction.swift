import Billing
import Database

/// The enqueue's rules as one PostgreSQL function, `auris_enqueue_job`: the same steps, in the
/// same order, as `JobQueue.enqueue`'s Swift body, which SQLite runs.
///
/// Why twice: on PostgreSQL each statement is a round trip from a blocked thread, and
/// the client's and the server's work per statement, not the SQL, is what an enqueue
/// costs (one producer: 273 enqueues/s with nine statements each, 458/s with the call
/// inside BEGIN … COMMIT and the job read back, four). The call is now the whole
/// transaction (`writeOneStatement`) and answers the job's row itself: one round trip,
/// committed before it answers, `NOTIFY` included. The function
/// locks the account's ledger row first, so enqueues of one account take turns until
/// commit, exactly as the Swift body does (docs/ARCHITECTURE.md, "PostgreSQL's
/// concurrency"). A change to one copy is a change to the other; the queue and ledger
/// suites run both.
enum EnqueueFunction {
    /// What the function answered: `outcome` names the branch it took.
    struct Answer {
        var outcome: String
        /// Credits available after the hold (created), the debt (in debt), or the credits
        /// available (insufficient).
        var credits: Int64?
        /// The job created, or the one an Idempotency-Key named before (replayed).
        var job: Job?
        /// The fingerprint of the request that created `job`.
        var fingerprint: String?
    }

    static func call(
        _ request: EnqueueRequest, id: String, holdID: String, now: Int64, configuration: JobQueue.Configuration,
        in db: any SQLConnection
    ) throws -> Answer {
        let answer = try db.queryFirst(
            """
            SELECT e.outcome, e.balance_credits, (e.job).*
            FROM auris_enqueue_job(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS e
            """,
            id, request.account.rawValue, request.priority, now, Int64(configuration.maxAttempts), request.credits,
            request.durationMilliseconds, request.payload, request.uploadID, request.idempotencyKey,
            request.requestFingerprint, Int64(configuration.maxQueuedPerAccount), holdID, AccountID.consumed.rawValue,
            MovementReason.jobHold.rawValue, JobQueue.wakeupChannel
        ) { row in
            let jobID: String? = row["id"]
            return Answer(
                outcome: row["outcome"], credits: row["balance_credits"], job: jobID.map { _ in JobRow.decode(row) },
                fingerprint: row["request_fingerprint"])
        }
        guard let answer else { preconditionFailure("a function call answers one row") }
        return answer
    }

    /// Superseded by `migration`; nothing for a new database. Databases that applied it
    /// keep its `auris_enqueue` (same rules, answering the earlier job's id where
    /// `auris_enqueue_job` answers the job's row): hosts still on the previous version
    /// call it, so a rolling upgrade keeps accepting uploads. A later migration drops it.
    static let firstMigration = Migration(
        "queue.enqueue_function.1",
        sqlite: "-- SQLite runs JobQueue.enqueue's Swift body.",
        postgresql: "-- queue.enqueue_function.2 creates auris_enqueue_job.")

    /// Nothing on SQLite, whose enqueue runs its Swift body. A new name rather than a
    /// new `auris_enqueue`: the previous version's hosts still call that one.
    static let migration = Migration(
        "queue.enqueue_function.2",
        sqlite: "-- SQLite runs JobQueue.enqueue's Swift body.",
        postgresql: """
            CREATE FUNCTION auris_enqueue_job(
                p_id TEXT, p_account BIGINT, p_priority BIGINT, p_now_ms BIGINT, p_max_attempts BIGINT,
                p_credits BIGINT, p_duration_ms BIGINT, p_payload TEXT, p_upload_id TEXT, p_key TEXT,
                p_fingerprint TEXT, p_max_queued BIGINT, p_hold_id TEXT, p_consumed BIGINT, p_hold_reason TEXT,
                p_channel TEXT,
                OUT outcome TEXT, OUT balance_credits BIGINT, OUT job jobs
            ) LANGUAGE plpgsql AS $$
            DECLARE
                v_available BIGINT;
                v_debt BIGINT;
                v_waiting BIGINT;
            BEGIN
                -- The account's row first: an enqueue of the same account waits here until
                -- this one commits, and then sees its key, its job and its hold.
                SELECT a.credits_posted - a.debits_posted - a.debits_pending,
                    (SELECT coalesce(sum(d.credits), 0) FROM ledger_debts d WHERE d.account_id = a.id)
                INTO v_available, v_debt
                FROM ledger_accounts a WHERE a.id = p_account AND a.kind = 'user' FOR UPDATE OF a;
                IF NOT FOUND THEN
                    outcome := 'unknown_account';
                    RETURN;
                END IF;
                IF p_key IS NOT NULL THEN
                    SELECT j.* INTO job FROM jobs j WHERE j.account_id = p_account AND j.idempotency_key = p_key;
                    IF FOUND THEN
                        outcome := 'replayed';
                        RETURN;
                    END IF;
                END IF;
                SELECT l.queued INTO v_waiting FROM queue_lanes l WHERE l.account_id = p_account;
                IF coalesce(v_waiting, 0) >= p_max_queued THEN
                    outcome := 'too_many_jobs';
                    RETURN;
                END IF;
                IF v_debt <> 0 THEN
                    outcome := 'in_debt';
                    balance_credits := v_debt;
                    RETURN;
                END IF;
                IF v_available < p_credits THEN
                    outcome := 'insufficient_credits';
                    balance_credits := v_available;
                    RETURN;
                END IF;
                -- Ledger.hold: a pending transfer user → consumed, and the user's cached sum.
                INSERT INTO ledger_transfers
                    (id, debit_account_id, credit_account_id, amount, phase, pending_id, reason, note, reference, created_at_ms)
                VALUES (p_hold_id, p_account, p_consumed, p_credits, 'pending', NULL, p_hold_reason, NULL, p_id, p_now_ms);
                UPDATE ledger_accounts SET debits_pending = debits_pending + p_credits WHERE id = p_account;
                INSERT INTO jobs (id, account_id, state, priority, run_at_ms, max_attempts, hold_id, credits,
                    duration_ms, payload, upload_id, idempotency_key, request_fingerprint, created_at_ms, updated_at_ms)
                VALUES (p_id, p_account, 'queued', p_priority, p_now_ms, p_max_attempts, p_hold_id, p_credits,
                    p_duration_ms, p_payload, p_upload_id, p_key, p_fingerprint, p_now_ms, p_now_ms)
                RETURNING * INTO job;
                -- Lanes.queued
                INSERT INTO queue_lanes AS l (account_id, queued, next_run_at_ms) VALUES (p_account, 1, p_now_ms)
                ON CONFLICT (account_id) DO UPDATE SET
                    queued = l.queued + 1,
                    next_run_at_ms = CASE WHEN l.next_run_at_ms IS NULL OR l.next_run_at_ms > p_now_ms
                        THEN p_now_ms ELSE l.next_run_at_ms END;
                PERFORM pg_notify(p_channel, '');
                outcome := 'created';
                balance_credits := v_available - p_credits;
            END
            $$
            """)
}
