import Synchronization

/// Wakes idle job slots early (a slot freed, shutdown began) instead of letting them
/// sleep out their poll interval.
final class WakeSignal: Sendable {
    private enum Wait {
        /// Registered; its continuation is not parked yet.
        case pending
        /// Parked until woken or timed out.
        case parked(CheckedContinuation<Void, Never>)
        /// Woken or timed out before it parked: it returns as soon as it parks.
        case done
    }

    private struct State {
        var nextID = 0
        var waits: [Int: Wait] = [:]
    }

    private let state = Mutex(State())

    /// Returns after `wakeAll()` or after `milliseconds`, whichever comes first.
    func wait(milliseconds: Int64) async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.waits[state.nextID] = .pending
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state in
                        if case .done = state.waits[id] {
                            state.waits[id] = nil
                            return true
                        }
                        state.waits[id] = .parked(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: .milliseconds(milliseconds)) }
            await group.next()
            group.cancelAll()
            self.finish { $0 == id }
        }
    }

    func wakeAll() {
        finish { _ in true }
    }

    /// Wakes at most `count` waiters, longest-waiting first: one wake-up per arrived job
    /// keeps the other idle slots from racing for a job they cannot all get.
    func wake(_ count: Int) {
        finish(limit: count) { _ in true }
    }

    private func finish(limit: Int = .max, _ matches: (Int) -> Bool) {
        let woken = state.withLock { state in
            var woken: [CheckedContinuation<Void, Never>] = []
            var remaining = limit
            for id in state.waits.keys.sorted() where matches(id) {
                guard remaining > 0, let wait = state.waits[id] else { break }
                if case .done = wait { continue }
                remaining -= 1
                switch wait {
                case .pending: state.waits[id] = .done
                case .parked(let continuation):
                    woken.append(continuation)
                    state.waits[id] = nil
                case .done: break
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}
