/// Where a job is in its life. `queued → running → succeeded | failed | canceled`,
/// with `running → queued` for retries, rescues and leases given back.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, canceled

    /// Whether the job is over: its hold is resolved and it never changes again.
    public var isFinished: Bool {
        switch self {
        case .queued, .running: false
        case .succeeded, .failed, .canceled: true
        }
    }
}

/// A change of state, with the state it requires and the one it leads to. Every change
/// goes through `JobQueue.apply`, whose `UPDATE` names `from` in its `WHERE`, so a
/// transition that lost a race changes no row.
enum JobTransition {
    case claim, succeed, retry, fail, cancelQueued, cancelRunning, rescue, giveBack, rescueAndFail

    var from: JobState {
        switch self {
        case .claim, .cancelQueued: .queued
        case .succeed, .retry, .fail, .cancelRunning, .rescue, .giveBack, .rescueAndFail: .running
        }
    }

    var to: JobState {
        switch self {
        case .claim: .running
        case .succeed: .succeeded
        case .retry, .rescue, .giveBack: .queued
        case .fail, .rescueAndFail: .failed
        case .cancelQueued, .cancelRunning: .canceled
        }
    }

    /// Whether the job's hold is resolved by this transition, and how.
    var holdResolution: HoldAction {
        switch to {
        case .succeeded: .post
        case .failed, .canceled: .void
        case .queued, .running: .keep
        }
    }

    enum HoldAction { case keep, post, void }
}
