@testable import API
import AurisTestSupport
import Billing
import Synchronization
import Testing

/// The probes of one account's burst of uploads do not make another account's probe
/// wait behind all of them: slots go round the accounts that wait.
@Suite(.timeLimit(.minutes(2))) struct ProbeFairnessTests {
    /// Three minutes of MP3: a probe reads every packet, long enough for a queue to form.
    static func longMP3(in directory: TemporaryDirectory) async throws -> String {
        try await Tone(seconds: 180, sampleRate: 48_000)
            .write(to: directory.appending("long.mp3"), codec: ["-c:a", "libmp3lame", "-b:a", "32k"])
    }

    @Test("another account's probe runs after at most one round of the busy account's, not after its whole burst")
    func anotherAccountIsNotStarved() async throws {
        let directory = try TemporaryDirectory("auris-probe-fairness")
        defer { directory.remove() }
        let file = try await Self.longMP3(in: directory)
        let gate = ProbeGate(maxConcurrent: 1)
        let busy = AccountID(rawValue: 101), other = AccountID(rawValue: 102)
        let burst = 10
        let finished = FinishOrder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<burst {
                group.addTask {
                    _ = try await gate.probe(path: file, maxDurationSeconds: 3_600, account: busy)
                    finished.record(busy)
                }
            }
            try await waitUntil("the busy account's probes to queue", every: .milliseconds(1)) { gate.waitingCount >= 6 }
            group.addTask {
                _ = try await gate.probe(path: file, maxDurationSeconds: 3_600, account: other)
                finished.record(other)
            }
            try await group.waitForAll()
        }

        let order = finished.accounts
        #expect(order.count == burst + 1)
        // When it arrived at most 3 busy probes had finished and one was running; the
        // busy account, first in line, gets one more turn, then the other account's.
        // In arrival order it would have come last.
        let position = try #require(order.firstIndex(of: other))
        #expect(position <= 5, "\(position) busy probes ran before the other account's")
    }

    @Test("an account alone gets every slot")
    func aLoneAccountUsesEverySlot() async throws {
        let directory = try TemporaryDirectory("auris-probe-fairness")
        defer { directory.remove() }
        let file = try await Self.longMP3(in: directory)
        let gate = ProbeGate(maxConcurrent: 3)
        let account = AccountID(rawValue: 101)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await gate.probe(path: file, maxDurationSeconds: 3_600, account: account) } }
            // Three run at once: the account is not held to a share of the slots.
            try await waitUntil("three probes to run at once", every: .milliseconds(1)) { gate.runningCount == 3 }
            try await group.waitForAll()
        }
        #expect(gate.waitingCount == 0)
    }
}

/// The accounts whose probes finished, in the order they did.
private final class FinishOrder: Sendable {
    private let order = Mutex<[AccountID]>([])

    func record(_ account: AccountID) {
        order.withLock { $0.append(account) }
    }

    var accounts: [AccountID] { order.withLock { $0 } }
}
