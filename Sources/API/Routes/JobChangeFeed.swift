import Billing
import Database
import Foundation
import Queue
import Synchronization

/// Wakes this process's event streams when a job may have changed, so they read the
/// database on a change instead of polling it: PostgreSQL's `NOTIFY` on
/// `JobQueue.changeChannel` (any host), and the socket this machine's workers wake after
/// each progress report and settle (`JobWakeups.jobChanges`). Both sources run only
/// while a stream is open; a stream still polls slowly in case a wake-up is lost.
final class JobChangeFeed: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var openStreams = 0
        var sources: Sources?
    }

    private struct Sources: Sendable {
        var subscription: (any NotificationSubscription)?
        var listener: WakeListener?

        func stop() {
            subscription?.stop()
            listener?.stop()
        }
    }

    private let state = Mutex(State())
    private let database: any SQLDatabase
    private let wakeups: JobWakeups

    init(database: any SQLDatabase, dataDirectory: String) {
        self.database = database
        wakeups = JobWakeups.jobChanges(dataDirectory: dataDirectory)
    }

    /// How many changes arrived so far: read it before reading a job, and wait for a
    /// change after it, so a change between the two is not missed.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// A job may have changed: every waiting stream reads again.
    func signal() {
        let woken = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns when a change after `generation` arrives, after `timeout`, or when the
    /// task is cancelled, whichever comes first.
    func wait(after generation: UInt64, timeout: Duration) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.resume(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let changed = state.withLock { state in
                    guard state.generation == generation else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if changed { continuation.resume() }
            }
        } onCancel: {
            resume(id)
        }
    }

    /// A stream opens: the first starts the sources.
    func streamOpened() {
        let first = state.withLock { state in
            state.openStreams += 1
            return state.openStreams == 1 && state.sources == nil
        }
        guard first else { return }
        let sources = Sources(
            subscription: database.subscribe(channel: JobQueue.changeChannel) { [weak self] in self?.signal() },
            // Without the socket a stream still sees changes, at the slow poll's pace.
            listener: try? wakeups.listen(name: "api\(getpid())-\(UInt32.random(in: 0...UInt32.max))") { [weak self] _ in
                self?.signal()
            })
        let unneeded = state.withLock { state -> Sources? in
            guard state.sources == nil, state.openStreams > 0 else { return sources }
            state.sources = sources
            return nil
        }
        unneeded?.stop()
    }

    /// A stream closed: the last stops the sources.
    func streamClosed() {
        let stopping = state.withLock { state -> Sources? in
            state.openStreams -= 1
            guard state.openStreams == 0 else { return nil }
            defer { state.sources = nil }
            return state.sources
        }
        stopping?.stop()
    }

    private func resume(_ id: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}

/// One account's slot for an event stream, given back exactly once: when the stream
/// ends, or when its response is dropped before its body was ever written (the client
/// went away first), by `deinit`.
final class EventStreamSlot: Sendable {
    private let account: AccountID
    private let slots: AccountSlots
    private let feed: JobChangeFeed
    private let released = Atomic<Bool>(false)

    /// Nil when the account already has as many streams as `slots` allows.
    init?(account: AccountID, slots: AccountSlots, feed: JobChangeFeed) {
        guard slots.acquire(account) else { return nil }
        self.account = account
        self.slots = slots
        self.feed = feed
        feed.streamOpened()
    }

    deinit {
        release()
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        slots.release(account)
        feed.streamClosed()
    }
}
