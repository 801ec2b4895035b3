import Foundation

/// Finds the package's built executables (`auris`, `auris-bench`) next to the test bundle.
public enum ExecutableLocator {
    public static func path(of name: String) throws -> String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        if let fromBundle = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent(name).path,
            FileManager.default.isExecutableFile(atPath: fromBundle)
        {
            return fromBundle
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }
}

/// What a finished child process printed and how it ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs a program to its end with a time limit, capturing its output.
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Double = 60
) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    async let outputData = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
    async let errorData = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }.value
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning {
        if Date() > deadline {
            process.terminate()
            break
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: await outputData, as: UTF8.self),
        standardError: String(decoding: await errorData, as: UTF8.self))
}
