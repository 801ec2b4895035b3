import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One launched child of `FFmpegCommand`: waits for its exit and stops it on request
/// (SIGTERM first so ffmpeg can clean up, SIGKILL when it does not exit in time).
final class FFmpegChildProcess: Sendable {
    enum StopReason: Sendable { case timedOut, canceled }

    struct Exit: Sendable {
        var status: Int32
        /// False when the child was killed by a signal; `status` is then the signal number.
        var exitedNormally: Bool
    }

    private struct State {
        var launched = false
        var exit: Exit?
        var stopReason: StopReason?
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []
    }

    // Launch and signals happen under `state`'s lock, so a stop never races the launch.
    private let process: Process
    private let state = Mutex(State())
    private let terminationGraceSeconds: Double

    init(process: Process, terminationGraceSeconds: Double) {
        self.process = process
        self.terminationGraceSeconds = terminationGraceSeconds
    }

    var stopReason: StopReason? { self.state.withLock { $0.stopReason } }

    /// Starts the child, unless a stop was requested before it started.
    func launch() throws {
        try self.state.withLock { state in
            if state.stopReason != nil { throw CancellationError() }
            self.process.terminationHandler = { [weak self] process in
                let exit = Exit(
                    status: process.terminationStatus,
                    exitedNormally: process.terminationReason == .exit
                )
                self?.didExit(exit)
            }
            try self.process.run()
            state.launched = true
        }
    }

    /// Asks the child to stop. The first reason wins; stopping an exited child does nothing.
    func stop(_ reason: StopReason) {
        let signalled = self.state.withLock { state -> Bool in
            guard state.stopReason == nil, state.exit == nil else { return false }
            state.stopReason = reason
            guard state.launched else { return false }
            kill(self.process.processIdentifier, SIGTERM)
            return true
        }
        guard signalled else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + self.terminationGraceSeconds) { [self] in
            self.state.withLock { state in
                // Checked under the lock that the exit handler also takes, so a reaped pid is never signalled.
                if state.exit == nil { kill(self.process.processIdentifier, SIGKILL) }
            }
        }
    }

    func waitForExit() async -> Exit {
        await withCheckedContinuation { continuation in
            let exit = self.state.withLock { state -> Exit? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    private func didExit(_ exit: Exit) {
        let waiters = self.state.withLock { state in
            state.exit = exit
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }
}
