import CFFmpeg
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
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`, whose launch on Linux
/// lists `/proc/self/fd` and copies each entry's whole 256-byte name: with a thousand
/// descriptors open that read ran off its buffer and crashed the process (seen in the
/// test suite). Here the child closes every descriptor above 2 itself (`closefrom`).
final class FFmpegChildProcess: Sendable {
    enum StopReason: Sendable { case timedOut, canceled }

    struct Exit: Sendable {
        var status: Int32
        /// False when the child was killed by a signal; `status` is then the signal number.
        var exitedNormally: Bool
    }

    private struct State {
        /// Set once the child is spawned.
        var pid: pid_t?
        var exit: Exit?
        var stopReason: StopReason?
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []
    }

    /// What to start: `executablePath` is looked up nowhere, so it is an absolute path.
    struct Launch: Sendable {
        var executablePath: String
        var arguments: [String]
        /// Descriptors the child gets as its standard output and error.
        var standardOutput: Int32
        var standardError: Int32
    }

    // Launch and signals happen under `state`'s lock, so a stop never races the launch.
    private let launchRequest: Launch
    private let state = Mutex(State())
    private let terminationGraceSeconds: Double

    init(_ launch: Launch, terminationGraceSeconds: Double) {
        self.launchRequest = launch
        self.terminationGraceSeconds = terminationGraceSeconds
    }

    var stopReason: StopReason? { self.state.withLock { $0.stopReason } }

    /// Starts the child, unless a stop was requested before it started.
    func launch() throws {
        try self.state.withLock { state in
            if state.stopReason != nil { throw CancellationError() }
            let pid = try Self.spawn(self.launchRequest)
            state.pid = pid
            // A thread of its own blocks in waitpid: the cooperative pool is never held.
            Thread.detachNewThread { [self] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS / WTERMSIG, macros Swift cannot import.
                let signal = status & 0x7F
                self.didExit(signal == 0 ? Exit(status: (status >> 8) & 0xFF, exitedNormally: true) : Exit(status: signal, exitedNormally: false))
            }
        }
    }

    private static func spawn(_ launch: Launch) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { throw POSIXError(.ENOMEM) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else { throw POSIXError(.ENOMEM) }
        defer { posix_spawnattr_destroy(&attributes) }
        let results: [Int32] = [
            posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
            posix_spawn_file_actions_adddup2(&actions, launch.standardOutput, STDOUT_FILENO),
            posix_spawn_file_actions_adddup2(&actions, launch.standardError, STDERR_FILENO),
            posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1),
            // Its own process group, as Foundation's launch did: a terminal's Ctrl-C reaches
            // the service, which then stops its children in order.
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP)),
        ]
        if let failure = results.first(where: { $0 != 0 }) { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EINVAL) }
        let argv = ([launch.executablePath] + launch.arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { arguments in
            posix_spawn(&pid, launch.executablePath, &actions, &attributes, arguments.baseAddress!, environ)
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        return pid
    }

    /// Asks the child to stop. The first reason wins; stopping an exited child does nothing.
    func stop(_ reason: StopReason) {
        let signalled = self.state.withLock { state -> Bool in
            guard state.stopReason == nil, state.exit == nil else { return false }
            state.stopReason = reason
            guard let pid = state.pid else { return false }
            kill(pid, SIGTERM)
            return true
        }
        guard signalled else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + self.terminationGraceSeconds) { [self] in
            self.state.withLock { state in
                // Checked under the lock that the exit handler also takes, so a reaped pid is never signalled.
                if state.exit == nil, let pid = state.pid { kill(pid, SIGKILL) }
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
