import Foundation

/// Why a run of the `ffmpeg` command line (or a sibling tool) did not succeed.
///
/// A struct with a private code so that adding a case later breaks no caller.
public struct FFmpegError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with the static members (`error.code == .timedOut`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case launchFailed = "launch_failed"
            case failed
            case timedOut = "timed_out"
            case canceled
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The executable could not be started (not installed, not executable).
        public static let launchFailed = Code(.launchFailed)
        /// The tool ran and exited with a non-zero status or was killed by a signal it did not get from us.
        public static let failed = Code(.failed)
        /// The run took longer than its time limit and was stopped.
        public static let timedOut = Code(.timedOut)
        /// The calling task was cancelled and the run was stopped.
        public static let canceled = Code(.canceled)

        public var description: String { self.value.rawValue }
    }

    public let code: Code
    /// The tool's exit status, when it exited on its own.
    public let exitStatus: Int32?
    /// The end of what the tool wrote to standard error: ffmpeg puts the reason for a failure last.
    public let standardErrorTail: String
    /// The tool and its arguments, for the log.
    public let commandLine: String

    init(code: Code, exitStatus: Int32? = nil, standardErrorTail: String = "", commandLine: String) {
        self.code = code
        self.exitStatus = exitStatus
        self.standardErrorTail = standardErrorTail
        self.commandLine = commandLine
    }

    public var description: String {
        var text = "\(self.commandLine): \(self.code)"
        if let exitStatus { text += " (exit status \(exitStatus))" }
        let tail = self.standardErrorTail.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tail.isEmpty { text += ": \(tail)" }
        return text
    }
}
