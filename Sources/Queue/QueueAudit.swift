import Billing
public import Database

/// Checks invariant 4 (docs/ARCHITECTURE.md, "The ledger") — every job's hold matches its state — that the
/// lanes count what they say, and that exactly the running jobs are held by a claim.
public struct QueueAudit {
    let db: any SQLConnection

    public init(_ db: any SQLConnection) {
        self.db = db
    }

    public func violations() throws -> [String] {
        var found: [String] = []
        let holds = try Ledger(db).allHolds()
        let jobs = try db.query("SELECT id, state, hold_id, credits FROM jobs") { row in
            (row["id"] as String, row["state"] as String, row["hold_id"] as String, row["credits"] as Int64)
        }
        var holdsOfJobs = Set<String>()
        for (id, stateName, holdID, credits) in jobs {
            holdsOfJobs.insert(holdID)
            let expected: HoldState =
                switch JobState(rawValue: stateName) {
                case .queued, .running, nil: .pending
                case .succeeded: .posted
                case .failed, .canceled: .voided
                }
            guard let hold = holds[holdID] else {
                found.append("invariant 4: job \(id) (\(stateName)) has no hold \(holdID)")
                continue
            }
            if hold.state != expected {
                found.append("invariant 4: job \(id) is \(stateName) but its hold is \(hold.state.rawValue)")
            }
            if hold.amount != credits {
                found.append("invariant 4: job \(id) costs \(credits) credits but holds \(hold.amount)")
            }
        }
        for (holdID, hold) in holds where hold.state == .pending && !holdsOfJobs.contains(holdID) {
            found.append("invariant 4: pending hold \(holdID) belongs to no job")
        }
        try checkLanes(&found)
        try checkClaims(&found)
        return found
    }

    /// A running job is held by exactly one claim; a job that is not running by none.
    private func checkClaims(_ found: inout [String]) throws {
        let mismatched = try db.query(
            """
            SELECT id, state FROM jobs
            WHERE (state = 'running') <> (claim_token IS NOT NULL) ORDER BY id LIMIT 100
            """
        ) { row in (row["id"] as String, row["state"] as String) }
        for (id, state) in mismatched {
            found.append("queue: job \(id) is \(state) but \(state == "running" ? "has no" : "still has a") claim token")
        }
    }

    private func checkLanes(_ found: inout [String]) throws {
        let mismatched = try db.query(
            """
            SELECT l.account_id, l.queued, l.running, l.next_run_at_ms,
                (SELECT count(*) FROM jobs j WHERE j.account_id = l.account_id AND j.state = 'queued') AS jobs_queued,
                (SELECT count(*) FROM jobs j WHERE j.account_id = l.account_id AND j.state = 'running') AS jobs_running,
                (SELECT min(run_at_ms) FROM jobs j WHERE j.account_id = l.account_id AND j.state = 'queued')
                    AS jobs_next_run_at_ms
            FROM queue_lanes l
            """
        ) { row in
            (row["account_id"] as Int64, row["queued"] as Int64, row["running"] as Int64, row["next_run_at_ms"] as Int64?,
             row["jobs_queued"] as Int64, row["jobs_running"] as Int64, row["jobs_next_run_at_ms"] as Int64?)
        }
        for lane in mismatched where lane.1 != lane.4 || lane.2 != lane.5 || lane.3 != lane.6 {
            found.append(
                "queue: lane of account \(lane.0) says \(lane.1) queued/\(lane.2) running (next \(lane.3.map(String.init) ?? "none")) but jobs say \(lane.4)/\(lane.5) (next \(lane.6.map(String.init) ?? "none"))")
        }
        let laneless = try db.query(
            "SELECT DISTINCT account_id FROM jobs WHERE account_id NOT IN (SELECT account_id FROM queue_lanes)"
        ) { row in row["account_id"] as Int64 }
        for account in laneless {
            found.append("queue: account \(account) has jobs but no lane")
        }
    }
}
