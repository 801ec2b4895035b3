import Billing
import Synchronization

/// How many uploads (or event streams) each account has in progress, so that one account
/// cannot hold every connection, descriptor and probe slot of the server: one past the
/// limit is refused.
final class AccountSlots: Sendable {
    let limit: Int
    private let inUse = Mutex<[AccountID: Int]>([:])

    init(limit: Int) {
        precondition(limit > 0, "an account may have at least one in progress")
        self.limit = limit
    }

    /// Takes a slot for `account`, or returns false when it already uses `limit`.
    func acquire(_ account: AccountID) -> Bool {
        inUse.withLock { counts in
            let current = counts[account, default: 0]
            guard current < limit else { return false }
            counts[account] = current + 1
            return true
        }
    }

    /// The slots `account` holds now.
    func inUse(by account: AccountID) -> Int {
        inUse.withLock { $0[account, default: 0] }
    }

    func release(_ account: AccountID) {
        inUse.withLock { counts in
            let remaining = counts[account, default: 1] - 1
            counts[account] = remaining > 0 ? remaining : nil
        }
    }
}
