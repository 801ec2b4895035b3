import Dispatch
public import Foundation

/// Runs the `ffmpeg` and `ffprobe` command lines for fixtures and reference
/// measurements. Tests hold the product to these tools, so this never goes through the
/// product's own ffmpeg wrapper.
public enum FFmpegTool {
    /// Runs `ffmpeg -nostdin -v error -y ARGUMENTS…` to its end and returns its standard
    /// output. Blocks the calling thread: for synchronous tests.
    @discardableResult
    public static func ffmpegBlocking(_ arguments: [String]) throws -> Data {
        try runBlocking("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments)
    }

    /// `ffmpegBlocking` on a thread of its own, so an async caller's thread pool keeps running.
    @discardableResult
    public static func ffmpeg(_ arguments: [String]) async throws -> Data {
        try await offThePool { try ffmpegBlocking(arguments) }
    }

    /// ffprobe's `format=duration` of a file, in seconds.
    public static func probedSeconds(of path: String) async throws -> Double {
        let output = try await offThePool {
            try runBlocking("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path])
        }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seconds = Double(text) else { throw FixtureError("ffprobe \(path) printed no duration: \(text)") }
        return seconds
    }

    /// ffprobe's JSON answer for `arguments` (entries and a file).
    public static func ffprobeJSON(_ arguments: [String]) async throws -> Data {
        try await offThePool { try runBlocking("ffprobe", ["-v", "error", "-of", "json"] + arguments) }
    }

    /// The length of the audio ffmpeg decodes from the file's first audio stream, counted
    /// as 48 kHz mono samples: the reference a probe is held to.
    public static func decodedMillisecondsBlocking(of path: String) throws -> Double {
        let pcm = try ffmpegBlocking(["-i", path, "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "s16le", "pipe:1"])
        return Double(pcm.count) / 2 / 48
    }

    /// At most two tools at once: tests make fixtures all together, and on two cores a
    /// crowd of ffmpeg processes only slows every test's own timing (and Foundation's
    /// `Process.run` was seen to crash once with dozens launching beside 1,300 descriptors).
    private static let running = DispatchSemaphore(value: 2)

    private static func runBlocking(_ tool: String, _ arguments: [String]) throws -> Data {
        running.wait()
        defer { running.signal() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes at once: a tool that fills one while we wait on the other would hang.
        nonisolated(unsafe) var message = Data()
        let errorReader = DispatchGroup()
        DispatchQueue.global().async(group: errorReader) { message = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        errorReader.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\(tool) \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
        return data
    }

    private static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
