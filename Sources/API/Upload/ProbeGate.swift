import Billing
import Dispatch
import Media
import Synchronization

/// Runs probes off the cooperative thread pool, a few at a time, and shares those few
/// fairly between accounts: a probe reads the whole file and blocks, which would stall
/// every request sharing the pool, and one account's burst of uploads must not make
/// everybody else's wait behind it.
///
/// A free slot goes to the waiting account with the fewest probes running, the one
/// that waited longest among equals; an account's own probes run in the order they
/// came. With a single account waiting, it gets every slot.
final class ProbeGate: Sendable {
    private struct State {
        var running: [AccountID: Int] = [:]
        var runningTotal = 0
        var waiting: [AccountID: [CheckedContinuation<Void, Never>]] = [:]
        /// Accounts with waiting probes, longest waiting first.
        var turns: [AccountID] = []

        /// Gives a slot to the next waiter by the rule above, and returns it to resume.
        mutating func handOver() -> CheckedContinuation<Void, Never>? {
            guard let position = turns.indices.min(by: { running[turns[$0], default: 0] < running[turns[$1], default: 0] })
            else { return nil }
            let account = turns.remove(at: position)
            let next = waiting[account]!.removeFirst()
            if waiting[account]!.isEmpty { waiting[account] = nil } else { turns.append(account) }
            running[account, default: 0] += 1
            runningTotal += 1
            return next
        }
    }

    private let queue = DispatchQueue(label: "auris.probes", attributes: .concurrent)
    private let maxConcurrent: Int
    /// The probe's read budget: room to read the largest upload twice over.
    private let maxBytesRead: Int64
    private let state = Mutex(State())

    init(maxConcurrent: Int, maxFileBytes: Int64 = 0) {
        self.maxConcurrent = max(1, maxConcurrent)
        maxBytesRead = max(AudioProbe().maxBytesRead, 2 * maxFileBytes)
    }

    /// Probes waiting for a slot, and running, for tests that watch the slots fill.
    var waitingCount: Int { state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } } }
    var runningCount: Int { state.withLock { $0.runningTotal } }

    /// - Throws: `MediaError` for a file that is not audio we accept.
    func probe(path: String, maxDurationSeconds: Int64, account: AccountID) async throws(MediaError) -> AudioInfo {
        await acquire(account)
        let result: Result<AudioInfo, MediaError> = await withCheckedContinuation { continuation in
            queue.async {
                let probe = AudioProbe(maxDurationMilliseconds: maxDurationSeconds * 1_000, maxBytesRead: self.maxBytesRead)
                continuation.resume(returning: Result { () throws(MediaError) in try probe.probe(fileAtPath: path) })
            }
        }
        release(account)
        return try result.get()
    }

    private func acquire(_ account: AccountID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let runsNow = state.withLock { state in
                if state.runningTotal < maxConcurrent && state.turns.isEmpty {
                    state.running[account, default: 0] += 1
                    state.runningTotal += 1
                    return true
                }
                if state.waiting[account] == nil { state.turns.append(account) }
                state.waiting[account, default: []].append(continuation)
                return false
            }
            if runsNow { continuation.resume() }
        }
    }

    private func release(_ account: AccountID) {
        let next = state.withLock { state in
            let remaining = state.running[account, default: 1] - 1
            state.running[account] = remaining > 0 ? remaining : nil
            state.runningTotal -= 1
            return state.handOver()
        }
        next?.resume()
    }
}
