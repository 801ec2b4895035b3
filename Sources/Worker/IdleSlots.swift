import Synchronization

/// How many of a worker's job slots have no job: what one claim may fill at once.
final class IdleSlots: Sendable {
    private let count: Mutex<Int>

    init(_ count: Int) {
        self.count = Mutex(count)
    }

    var idle: Int { count.withLock { $0 } }

    /// `jobs` slots start running.
    func take(_ jobs: Int) {
        count.withLock { count in
            precondition(jobs <= count, "more jobs than idle slots")
            count -= jobs
        }
    }

    /// A slot's run ended.
    func release() {
        count.withLock { $0 += 1 }
    }
}
