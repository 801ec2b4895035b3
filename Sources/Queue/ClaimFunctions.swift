import Billing
import Database

/// A success with the next claim, and a claim, as PostgreSQL functions: the same steps,
/// in the same order, as the Swift bodies SQLite runs, for the reason `EnqueueFunction`
/// gives. A drain on PostgreSQL waited for its round trips: `succeed(_:claimingNextFor:)`
/// sent thirteen statements or more (BEGIN, the job's `UPDATE`, the capture, the lane's
/// lock and recount, the next lane, the next job, its `UPDATE`, its lane, COMMIT), each
/// about 150 µs of client work and a parse and plan on the server; now it sends one.
///
/// Each function is one piece of the Swift path, and a change to either copy is a change
/// to both (the queue and ledger suites run each on its database):
/// - `auris_lanes_adjust`: `Lanes.adjust`;
/// - `auris_succeed`: `JobQueue.apply` for `.succeed`, with `Ledger.post`,
///   `WebhookEvents.record`, `JobQueue.notifyChange` and `Lanes.adjust`;
/// - `auris_claim_next`: `JobQueue.claimNext`, with `Lanes.nextAccount`, `Lanes.rebuild`
///   and `JobQueue.apply` for `.claim`;
/// - `auris_succeed_claiming_next`: `succeed(_:claimingNextFor:)`;
/// - `auris_claim`: `claim(owner:limit:)`, which waits for its first lane only.
///
/// Locks are taken as the Swift bodies take them (docs/ARCHITECTURE.md, "PostgreSQL's
/// concurrency"): the job by its `UPDATE … WHERE state = <old> AND claim_token = …`, the
/// lane `FOR UPDATE` before its recount, the next lane `FOR UPDATE SKIP LOCKED` while a
/// lane or a job is held, the next job `FOR UPDATE SKIP LOCKED`.
enum ClaimFunctions {
    /// The SQLSTATE the functions raise for a broken invariant (a running job without
    /// its pending hold, a job that changed under its lock): `QueueError.brokenInvariant`.
    static let brokenInvariantState = "AU001"

    /// The claimed jobs in a claim's answer; a lane found promising a due job that is not
    /// there was recounted, and ends the claim, as in `claimNext`.
    private static func claimedJob(
        _ row: Row, owner: String, leaseExpiresAtMilliseconds: Int64, tokens: [String]
    ) -> ClaimedJob? {
        if row["lane_rebuilt"] as Bool { assertionFailure("a lane promised a due job that is not there") }
        guard let id = row["id"] as String?, let token = row["claim_token"] as String? else { return nil }
        assert(tokens.contains(token), "a claimed job carries a token of this claim")
        return ClaimedJob(
            id: id, claim: JobClaim(jobID: id, owner: owner, token: token), account: AccountID(rawValue: row["account_id"]),
            payload: row["payload"], uploadID: row["upload_id"], attempt: row["attempts"], maxAttempts: row["max_attempts"],
            credits: row["credits"], durationMilliseconds: row["duration_ms"], stage: row["stage"],
            leaseExpiresAtMilliseconds: leaseExpiresAtMilliseconds)
    }

    /// `succeed(_:claimingNextFor:)` in one statement.
    static func succeed(
        _ claim: JobClaim, claimingNextFor owner: String, configuration: JobQueue.Configuration, now: Int64,
        in db: any SQLConnection
    ) throws -> (settled: Bool, next: ClaimedJob?) {
        let token = RandomIdentifier.make(prefix: "claim", nowMilliseconds: now)
        let leaseExpiry = now + configuration.leaseMilliseconds
        let answer = try translatingInvariant {
            try db.queryFirst(
                """
                SELECT s.settled, s.lane_rebuilt, (s.claimed).*
                FROM auris_succeed_claiming_next(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS s
                """,
                claim.jobID, claim.token, now, MovementReason.jobCapture.rawValue, WebhookEvents.type(of: .succeeded),
                RandomIdentifier.make(prefix: "evt", nowMilliseconds: now), deliveryIDs(now: now),
                WebhookEvents.retryWindowMilliseconds, WebhookDeliveries.wakeupChannel, JobQueue.changeChannel, owner,
                token, leaseExpiry, configuration.maxRunningPerAccount
            ) { row in
                (settled: row["settled"] as Bool,
                 next: claimedJob(row, owner: owner, leaseExpiresAtMilliseconds: leaseExpiry, tokens: [token]))
            }
        }
        guard let answer else { preconditionFailure("a function call answers one row") }
        return answer
    }

    /// `claim(owner:limit:)` in one statement.
    static func claim(
        owner: String, limit: Int, configuration: JobQueue.Configuration, now: Int64, in db: any SQLConnection
    ) throws -> [ClaimedJob] {
        let tokens = (0..<limit).map { _ in RandomIdentifier.make(prefix: "claim", nowMilliseconds: now) }
        let leaseExpiry = now + configuration.leaseMilliseconds
        let rows = try translatingInvariant {
            try db.query(
                "SELECT c.lane_rebuilt, (c.claimed).* FROM auris_claim(?, ?, ?, ?, ?, ?) AS c",
                owner, tokens.joined(separator: " "), now, leaseExpiry, configuration.maxRunningPerAccount,
                JobQueue.changeChannel
            ) { row in claimedJob(row, owner: owner, leaseExpiresAtMilliseconds: leaseExpiry, tokens: tokens) }
        }
        return rows.compactMap { $0 }
    }

    /// One id for each delivery the success may write, separated by spaces: an account
    /// has at most `WebhookEndpoints.maxPerAccount` live endpoints.
    private static func deliveryIDs(now: Int64) -> String {
        (0..<WebhookEndpoints.maxPerAccount).map { _ in RandomIdentifier.make(prefix: "whd", nowMilliseconds: now) }
            .joined(separator: " ")
    }

    private static func translatingInvariant<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.sqlState == brokenInvariantState {
            // Rolled back already: the only safe answer, as in `JobQueue.apply`.
            assertionFailure(error.message)
            throw QueueError.brokenInvariant(error.message)
        }
    }

    /// `auris_claim_next` again, for databases `queue.claim_functions.1` made before it
    /// knew a due job another transaction holds. `FOR UPDATE SKIP LOCKED` passes over
    /// such a job (a cancel that locked it and waits for this lane, which the claim holds;
    /// a heartbeat's `UPDATE` waiting on it for an instant), and the first version took
    /// that for a lane out of step with its jobs: it recounted the lane, which was right
    /// all along, and reported it, which a debug build stops on (a CI run of the
    /// PostgreSQL suites did). Now a due job that is there, only held, ends the claim
    /// without touching the lane, as a claim that found no lane does; the holder's commit
    /// moves the lane on.
    static let heldJobMigration = Migration(
        "queue.claim_functions.2",
        sqlite: "-- SQLite has no row locks: a due job is never held by another writer.",
        postgresql: claimNextFunction)

    /// `auris_claim_next`: `JobQueue.claimNext`, with `Lanes.nextAccount`, `Lanes.rebuild`
    /// and `JobQueue.apply` for `.claim`. Both migrations create it, so a new database and
    /// an upgraded one run the same body.
    private static let claimNextFunction = """
        CREATE OR REPLACE FUNCTION auris_claim_next(
            p_owner TEXT, p_token TEXT, p_now_ms BIGINT, p_lease_expiry_ms BIGINT, p_max_running BIGINT,
            p_skip_locked_lanes BOOLEAN, p_change_channel TEXT,
            OUT lane_rebuilt BOOLEAN, OUT claimed jobs
        ) LANGUAGE plpgsql AS $$
        DECLARE
            v_account BIGINT;
            v_job_id TEXT;
        BEGIN
            lane_rebuilt := false;
            -- Lanes.nextAccount: the least-served lane with a due job and room, kept locked.
            IF p_skip_locked_lanes THEN
                SELECT l.account_id INTO v_account FROM queue_lanes l
                WHERE l.queued > 0 AND l.next_run_at_ms <= p_now_ms AND l.running < p_max_running
                ORDER BY l.running, l.served_at_ms, l.account_id LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT l.account_id INTO v_account FROM queue_lanes l
                WHERE l.queued > 0 AND l.next_run_at_ms <= p_now_ms AND l.running < p_max_running
                ORDER BY l.running, l.served_at_ms, l.account_id LIMIT 1 FOR UPDATE;
            END IF;
            IF v_account IS NULL THEN
                RETURN;
            END IF;
            SELECT j.id INTO v_job_id FROM jobs j
            WHERE j.account_id = v_account AND j.state = 'queued' AND j.run_at_ms <= p_now_ms
            ORDER BY j.priority DESC, j.run_at_ms, j.id LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF v_job_id IS NULL THEN
                -- Read without a lock, this sees the due jobs as last committed, held or not.
                PERFORM 1 FROM jobs j
                WHERE j.account_id = v_account AND j.state = 'queued' AND j.run_at_ms <= p_now_ms LIMIT 1;
                IF FOUND THEN
                    RETURN;
                END IF;
                -- Lanes.rebuild: the lane promised a due job that is not there.
                UPDATE queue_lanes SET
                    queued = (SELECT count(*) FROM jobs j WHERE j.account_id = v_account AND j.state = 'queued'),
                    running = (SELECT count(*) FROM jobs j WHERE j.account_id = v_account AND j.state = 'running'),
                    next_run_at_ms = (SELECT min(j.run_at_ms) FROM jobs j WHERE j.account_id = v_account AND j.state = 'queued')
                WHERE account_id = v_account;
                lane_rebuilt := true;
                RETURN;
            END IF;
            -- JobQueue.apply: queued → running under this claim's lease and token.
            UPDATE jobs SET state = 'running', lease_owner = p_owner, lease_expires_at_ms = p_lease_expiry_ms,
                claim_token = p_token, attempts = attempts + 1, started_at_ms = coalesce(started_at_ms, p_now_ms),
                finished_at_ms = NULL, updated_at_ms = p_now_ms
            WHERE id = v_job_id AND state = 'queued'
            RETURNING * INTO claimed;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'job % changed inside a transaction', v_job_id USING ERRCODE = 'AU001';
            END IF;
            IF claimed.watched_until_ms >= p_now_ms THEN
                PERFORM pg_notify(p_change_channel, '');
            END IF;
            PERFORM auris_lanes_adjust(v_account, -1, 1, p_now_ms);
        END
        $$
        """

    /// Nothing on SQLite, which runs the Swift bodies.
    static let migration = Migration(
        "queue.claim_functions.1",
        sqlite: "-- SQLite runs the Swift bodies of succeed(_:claimingNextFor:) and claim(owner:limit:).",
        postgresql: """
            CREATE FUNCTION auris_lanes_adjust(
                p_account BIGINT, p_queued_delta BIGINT, p_running_delta BIGINT, p_served_at_ms BIGINT
            ) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                -- Locked by a statement of its own: the UPDATE's snapshot then sees the job of
                -- an enqueue that held the lane until it committed.
                PERFORM 1 FROM queue_lanes l WHERE l.account_id = p_account FOR UPDATE;
                UPDATE queue_lanes SET
                    queued = queued + p_queued_delta,
                    running = running + p_running_delta,
                    served_at_ms = coalesce(p_served_at_ms, served_at_ms),
                    next_run_at_ms = (SELECT min(j.run_at_ms) FROM jobs j WHERE j.account_id = p_account AND j.state = 'queued')
                WHERE account_id = p_account;
            END
            $$;

            CREATE FUNCTION auris_succeed(
                p_job_id TEXT, p_token TEXT, p_now_ms BIGINT, p_capture_reason TEXT, p_event_type TEXT,
                p_event_id TEXT, p_delivery_ids TEXT, p_retry_window_ms BIGINT, p_webhook_channel TEXT,
                p_change_channel TEXT
            ) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
            DECLARE
                v_account BIGINT;
                v_hold_id TEXT;
                v_watched BIGINT;
                v_debit BIGINT;
                v_credit BIGINT;
                v_amount BIGINT;
                v_endpoint TEXT;
                v_deliveries INT := 0;
            BEGIN
                -- JobQueue.apply: the WHERE names the old state and this claim's token.
                UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at_ms = NULL, claim_token = NULL,
                    finished_at_ms = p_now_ms, progress = 1.0, stage = 'done', updated_at_ms = p_now_ms
                WHERE id = p_job_id AND state = 'running' AND claim_token = p_token
                RETURNING account_id, hold_id, watched_until_ms INTO v_account, v_hold_id, v_watched;
                IF NOT FOUND THEN
                    RETURN false;
                END IF;
                -- Ledger.post: the capture, a copy of the hold, only while the hold is unresolved.
                INSERT INTO ledger_transfers
                    (id, debit_account_id, credit_account_id, amount, phase, pending_id, reason, note, reference, created_at_ms)
                SELECT v_hold_id || ':post', t.debit_account_id, t.credit_account_id, t.amount, 'post', t.id,
                    p_capture_reason, NULL, t.reference, p_now_ms
                FROM ledger_transfers t
                WHERE t.id = v_hold_id AND t.phase = 'pending'
                    AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
                RETURNING debit_account_id, credit_account_id, amount INTO v_debit, v_credit, v_amount;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'job % was running with its hold % not pending', p_job_id, v_hold_id
                        USING ERRCODE = 'AU001';
                END IF;
                -- Ledger.move: only user accounts cache their sums.
                UPDATE ledger_accounts SET debits_pending = debits_pending - v_amount, debits_posted = debits_posted + v_amount
                WHERE id = v_debit AND kind = 'user';
                UPDATE ledger_accounts SET credits_pending = credits_pending - v_amount, credits_posted = credits_posted + v_amount
                WHERE id = v_credit AND kind = 'user';
                -- WebhookEvents.record: one event and a delivery per live endpoint, if any.
                FOR v_endpoint IN
                    SELECT e.id FROM webhook_endpoints e WHERE e.account_id = v_account AND e.deleted_at_ms IS NULL ORDER BY e.id
                LOOP
                    v_deliveries := v_deliveries + 1;
                    IF v_deliveries = 1 THEN
                        INSERT INTO webhook_events (id, account_id, job_id, type, created_at_ms)
                        VALUES (p_event_id, v_account, p_job_id, p_event_type, p_now_ms);
                    END IF;
                    INSERT INTO webhook_deliveries
                        (id, event_id, endpoint_id, account_id, state, due_at_ms, give_up_at_ms, created_at_ms)
                    VALUES ((string_to_array(p_delivery_ids, ' '))[v_deliveries], p_event_id, v_endpoint, v_account,
                        'pending', p_now_ms, p_now_ms + p_retry_window_ms, p_now_ms);
                END LOOP;
                IF v_deliveries > 0 THEN
                    PERFORM pg_notify(p_webhook_channel, '');
                END IF;
                -- JobQueue.notifyChange
                IF v_watched >= p_now_ms THEN
                    PERFORM pg_notify(p_change_channel, '');
                END IF;
                PERFORM auris_lanes_adjust(v_account, 0, -1, NULL);
                RETURN true;
            END
            $$;

            \(claimNextFunction);

            CREATE FUNCTION auris_succeed_claiming_next(
                p_job_id TEXT, p_token TEXT, p_now_ms BIGINT, p_capture_reason TEXT, p_event_type TEXT,
                p_event_id TEXT, p_delivery_ids TEXT, p_retry_window_ms BIGINT, p_webhook_channel TEXT,
                p_change_channel TEXT, p_owner TEXT, p_next_token TEXT, p_lease_expiry_ms BIGINT, p_max_running BIGINT,
                OUT settled BOOLEAN, OUT lane_rebuilt BOOLEAN, OUT claimed jobs
            ) LANGUAGE plpgsql AS $$
            DECLARE
                v_next RECORD;
            BEGIN
                settled := auris_succeed(p_job_id, p_token, p_now_ms, p_capture_reason, p_event_type, p_event_id,
                    p_delivery_ids, p_retry_window_ms, p_webhook_channel, p_change_channel);
                -- This transaction holds the settled job's lane: it must not wait for another.
                SELECT * INTO v_next
                FROM auris_claim_next(p_owner, p_next_token, p_now_ms, p_lease_expiry_ms, p_max_running, true, p_change_channel);
                lane_rebuilt := v_next.lane_rebuilt;
                claimed := v_next.claimed;
            END
            $$;

            CREATE FUNCTION auris_claim(
                p_owner TEXT, p_tokens TEXT, p_now_ms BIGINT, p_lease_expiry_ms BIGINT, p_max_running BIGINT,
                p_change_channel TEXT
            ) RETURNS TABLE (lane_rebuilt BOOLEAN, claimed jobs) LANGUAGE plpgsql AS $$
            DECLARE
                v_tokens TEXT[] := string_to_array(p_tokens, ' ');
                v_next RECORD;
            BEGIN
                FOR v_index IN 1..cardinality(v_tokens) LOOP
                    -- The first lane is waited for; the others are skipped when held.
                    SELECT * INTO v_next FROM auris_claim_next(p_owner, v_tokens[v_index], p_now_ms, p_lease_expiry_ms,
                        p_max_running, v_index > 1, p_change_channel);
                    EXIT WHEN (v_next.claimed).id IS NULL AND NOT v_next.lane_rebuilt;
                    lane_rebuilt := v_next.lane_rebuilt;
                    claimed := v_next.claimed;
                    RETURN NEXT;
                    EXIT WHEN v_next.lane_rebuilt;
                END LOOP;
            END
            $$
            """)
}
