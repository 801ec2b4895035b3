import Dispatch
import Foundation

/// One bounded run of `ffmpeg`, `ffprobe` or another audio command-line tool.
///
/// Every run has a time limit; cancelling the calling task stops the child (SIGTERM,
/// then SIGKILL after a grace period); standard error is kept (its tail) for the
/// error message, standard output is returned (up to `maxOutputBytes`).
///
/// ```swift
/// let pcm = try await FFmpegCommand.ffmpeg(
///     ["-i", "clip.mp3", "-ac", "1", "-ar", "24000", "-f", "s16le", "pipe:1"],
///     timeoutSeconds: 60
/// ).run()
/// ```
public struct FFmpegCommand: Sendable {
    /// A name looked up in `PATH` (`ffmpeg`, `espeak-ng`) or an absolute path.
    public var executable: String
    public var arguments: [String]
    /// The run is stopped after this many seconds and fails with `FFmpegError.Code.timedOut`.
    public var timeoutSeconds: Double
    /// More standard output than this fails the run rather than returning a cut result.
    public var maxOutputBytes: Int
    /// Time a stopped child gets between SIGTERM and SIGKILL.
    public var terminationGraceSeconds: Double

    /// How much of standard error is kept: the reason for a failure is in the last lines.
    static let standardErrorTailBytes = 4096

    public init(
        executable: String,
        arguments: [String],
        timeoutSeconds: Double,
        maxOutputBytes: Int = 64 << 20,
        terminationGraceSeconds: Double = 2
    ) {
        precondition(timeoutSeconds > 0, "a command needs a positive time limit")
        self.executable = executable
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
        self.maxOutputBytes = maxOutputBytes
        self.terminationGraceSeconds = terminationGraceSeconds
    }

    /// `ffmpeg` that never reads the terminal (`-nostdin`), overwrites its outputs (callers
    /// write to temporary paths they own) and prints errors only.
    public static func ffmpeg(_ arguments: [String], timeoutSeconds: Double, maxOutputBytes: Int = 64 << 20) -> FFmpegCommand {
        FFmpegCommand(
            executable: "ffmpeg",
            arguments: ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments,
            timeoutSeconds: timeoutSeconds,
            maxOutputBytes: maxOutputBytes
        )
    }

    /// `ffprobe`, printing errors only.
    public static func ffprobe(_ arguments: [String], timeoutSeconds: Double) -> FFmpegCommand {
        FFmpegCommand(
            executable: "ffprobe",
            arguments: ["-hide_banner", "-loglevel", "error"] + arguments,
            timeoutSeconds: timeoutSeconds,
            maxOutputBytes: 1 << 20
        )
    }

    /// The command as a shell would show it, for logs and error messages.
    public var commandLine: String {
        ([self.executable] + self.arguments).joined(separator: " ")
    }

    /// Runs the command to its end.
    /// - Returns: what the command wrote to standard output.
    /// - Throws: `FFmpegError` when it cannot start, exits with a non-zero status,
    ///   runs out of time, or the calling task is cancelled.
    public func run() async throws(FFmpegError) -> [UInt8] {
        let standardOutput = Pipe()
        let standardError = Pipe()
        // `env` finds the tool in PATH and execs it in place, so signals reach the tool itself.
        let child = FFmpegChildProcess(
            .init(
                executablePath: "/usr/bin/env", arguments: [self.executable] + self.arguments,
                standardOutput: standardOutput.fileHandleForWriting.fileDescriptor,
                standardError: standardError.fileHandleForWriting.fileDescriptor),
            terminationGraceSeconds: self.terminationGraceSeconds)
        let result = await withTaskCancellationHandler {
            await self.launchAndWait(child, standardOutput: standardOutput, standardError: standardError)
        } onCancel: {
            child.stop(.canceled)
        }
        return try result.get()
    }

    private func launchAndWait(
        _ child: FFmpegChildProcess,
        standardOutput: Pipe,
        standardError: Pipe
    ) async -> Result<[UInt8], FFmpegError> {
        do {
            try child.launch()
            // The child holds its own copies: with ours closed, its exit ends the drains.
            try? standardOutput.fileHandleForWriting.close()
            try? standardError.fileHandleForWriting.close()
        } catch {
            if child.stopReason == .canceled {
                return .failure(FFmpegError(code: .canceled, commandLine: self.commandLine))
            }
            return .failure(FFmpegError(code: .launchFailed, standardErrorTail: "\(error)", commandLine: self.commandLine))
        }
        let timeoutSeconds = self.timeoutSeconds
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(timeoutSeconds))
            if !Task.isCancelled { child.stop(.timedOut) }
        }
        // Both pipes are drained while the child runs: a full pipe would block it forever.
        async let output = Self.drain(standardOutput.fileHandleForReading, keepingAtMost: self.maxOutputBytes, tail: false)
        async let errors = Self.drain(standardError.fileHandleForReading, keepingAtMost: Self.standardErrorTailBytes, tail: true)
        let exit = await child.waitForExit()
        watchdog.cancel()
        let (outputBytes, outputTruncated) = await output
        let (errorBytes, _) = await errors
        let errorTail = String(decoding: errorBytes, as: UTF8.self)

        if exit.status == 0 && exit.exitedNormally {
            if outputTruncated {
                return .failure(FFmpegError(
                    code: .failed,
                    standardErrorTail: "standard output exceeded \(self.maxOutputBytes) bytes",
                    commandLine: self.commandLine
                ))
            }
            return .success(outputBytes)
        }
        // `env` itself exits 127 when the tool is not in PATH, 126 when it cannot run it.
        if child.stopReason == nil, exit.exitedNormally, exit.status == 127 || exit.status == 126 {
            return .failure(FFmpegError(code: .launchFailed, exitStatus: exit.status, standardErrorTail: errorTail, commandLine: self.commandLine))
        }
        switch child.stopReason {
        case .timedOut:
            return .failure(FFmpegError(code: .timedOut, standardErrorTail: errorTail, commandLine: self.commandLine))
        case .canceled:
            return .failure(FFmpegError(code: .canceled, standardErrorTail: errorTail, commandLine: self.commandLine))
        case nil:
            return .failure(FFmpegError(
                code: .failed,
                exitStatus: exit.exitedNormally ? exit.status : nil,
                standardErrorTail: exit.exitedNormally ? errorTail : "killed by signal \(exit.status). \(errorTail)",
                commandLine: self.commandLine
            ))
        }
    }

    /// Reads a pipe to its end on a Dispatch thread (blocking reads must not occupy the
    /// few cooperative threads), keeping the first or the last `limit` bytes. The end
    /// comes when the child exits; the tools run here start no children that could
    /// keep the pipe open longer.
    private static func drain(_ handle: FileHandle, keepingAtMost limit: Int, tail: Bool) async -> ([UInt8], Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var kept: [UInt8] = []
                var truncated = false
                // A read error ends the drain like the end of the stream: the exit status tells what happened.
                while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                    if tail {
                        kept.append(contentsOf: chunk)
                        if kept.count > limit { kept.removeFirst(kept.count - limit) }
                    } else if kept.count + chunk.count <= limit {
                        kept.append(contentsOf: chunk)
                    } else {
                        // Keep draining so the child can finish; the result is refused afterwards.
                        truncated = true
                    }
                }
                try? handle.close()
                continuation.resume(returning: (kept, truncated))
            }
        }
    }
}
