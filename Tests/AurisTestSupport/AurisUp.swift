public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `auris up` started by a test on a temporary data folder and a free port, with the
/// environment the test chooses (the fake OpenAI's address, short leases, …).
public final class AurisUp: @unchecked Sendable {
    // Set once in `start` and read afterwards from the test's task only.
    public let dataDirectory: String
    public let port: Int
    public let process: Process
    public let logPath: String

    /// Starts `auris up --workers N` and waits until `/readyz` answers.
    public static func start(
        dataDirectory: String, workers: Int, concurrency: Int = 2, environment: [String: String] = [:]
    ) async throws -> AurisUp {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExecutableLocator.path(of: "auris"))
        process.arguments = ["up", "--port", String(port), "--workers", String(workers), "--concurrency", String(concurrency)]
        var merged = ProcessInfo.processInfo.environment
        merged["AURIS_DATA_DIR"] = dataDirectory
        merged["AURIS_LOG_LEVEL"] = "info"
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let logPath = dataDirectory + "/up.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = Pipe()
        try process.run()
        let up = AurisUp(dataDirectory: dataDirectory, port: port, process: process, logPath: logPath)
        try await up.waitUntilReady()
        return up
    }

    init(dataDirectory: String, port: Int, process: Process, logPath: String) {
        self.dataDirectory = dataDirectory
        self.port = port
        self.process = process
        self.logPath = logPath
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func waitUntilReady(timeoutSeconds: Double = 60) async throws {
        let client = APIClient(baseURL: baseURL, apiKey: nil)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let (status, _) = try? await client.get("/readyz"), status == 200 { return }
            guard process.isRunning else { throw FixtureError("auris up exited early:\n\(log())") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("auris up did not become ready:\n\(log())")
    }

    /// The pids of the worker processes `up` runs now.
    public func workerPIDs() -> [Int32] {
        let needle = "--worker-id up-\(process.processIdentifier)-w"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(needle)
        }
    }

    /// SIGTERM, then waits for `up` to drain and exit.
    @discardableResult
    public func stop(timeoutSeconds: Double = 60) async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        return try await waitForExit(timeoutSeconds: timeoutSeconds)
    }

    public func waitForExit(timeoutSeconds: Double) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning {
            guard Date() < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw FixtureError("auris up did not stop in \(timeoutSeconds) s:\n\(log())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(6_000)) } ?? ""
    }
}

/// A TCP port nobody listens on right now.
public func freePort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw FixtureError("socket() failed") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw FixtureError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    guard named == 0 else { throw FixtureError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
