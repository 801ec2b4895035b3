import AurisTestSupport
import Foundation
import MediaStore

/// A real S3-compatible server for one test: scripts/lib/moto_s3.py (moto with signature
/// checks on) started from .venv-moto, stopped by pid when the test ends. Its standard
/// input stays open while we run, so it also exits if the test process dies.
final class MotoServer {
    struct Ready: Decodable, Sendable {
        var endpoint: String
        var bucket: String
        var region: String
        var accessKeyId: String
        var secretAccessKey: String
    }

    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }

    let ready: Ready
    private let process: Process
    private let input: Pipe
    private let folder: TemporaryDirectory

    /// Runs `body` with a fresh server, stopping it afterwards whatever happens.
    static func with<T>(_ body: (MotoServer) async throws -> T) async throws -> T {
        let server = try await MotoServer()
        defer { server.stop() }
        return try await body(server)
    }

    private init() async throws {
        let python = try MotoVenv.python()
        folder = try TemporaryDirectory("moto")
        let process = Process()
        self.process = process
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [MotoVenv.script("moto_s3.py")]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        let log = folder.appending("moto.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let reader = output.fileHandleForReading
        let line = Task.detached { () -> String in
            var bytes = Data()
            while !bytes.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(90))
            line.cancel()
            process.terminate()
        }
        let text = await line.value
        deadline.cancel()
        guard let first = text.split(separator: "\n").first, let ready = try? JSONDecoder().decode(Ready.self, from: Data(first.utf8)) else {
            let detail = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            process.terminate()
            process.waitUntilExit()
            folder.remove()
            throw StartFailed(description: "moto_s3.py did not start: \(text)\n\(detail.suffix(2000))")
        }
        self.ready = ready
    }

    /// The bucket with the credentials moto issued, or others (a wrong secret).
    func store(
        prefix: String = "tests", secretAccessKey: String? = nil, accessKeyID: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> S3MediaStore {
        let configuration = try MediaStoreConfiguration.parse(
            url: "s3://\(ready.bucket)/\(prefix)?endpoint=\(ready.endpoint)&region=\(ready.region)",
            environment: [
                "AWS_ACCESS_KEY_ID": accessKeyID ?? ready.accessKeyId,
                "AWS_SECRET_ACCESS_KEY": secretAccessKey ?? ready.secretAccessKey,
            ])
        return S3MediaStore(configuration: configuration, retry: S3RetryPolicy(maxAttempts: 2, baseDelayMilliseconds: 50), now: now)
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        folder.remove()
    }
}
