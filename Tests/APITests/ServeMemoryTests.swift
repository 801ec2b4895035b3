import API
import AurisTestSupport
import Billing
import Foundation
import Queue
import Testing

/// `auris serve` streams uploads to disk: its peak memory does not grow with the body.
/// Measured on its own process, so other tests running here do not blur the numbers.
@Suite(.timeLimit(.minutes(5))) struct ServeMemoryTests {
    @Test("peak memory of auris serve grows far less than the bodies of large uploads")
    func peakMemoryDoesNotFollowTheBody() async throws {
        let store = try await TestStore.make("auris-serve-memory")
        defer { store.directory.remove() }
        let account = try await Accounts(database: store.database).create(name: "memory", signupCredits: 1_000)
        let small = try await AudioFixtures.wav(seconds: 4, sampleRate: 16_000)
        let large = try await AudioFixtures.wav(seconds: 256, sampleRate: 16_000)
        let medium = try await AudioFixtures.wav(seconds: 64, sampleRate: 16_000)
        let largeBytes = try Self.size(large), mediumBytes = try Self.size(medium)
        #expect(largeBytes > 8_000_000 && mediumBytes > 2_000_000)

        let server = try ServeProcess(environment: store.environment)
        defer { server.stop() }
        let port = try await server.waitUntilServing()
        for raw in [true, false, true] {
            #expect(try await Self.upload(small, raw: raw, port: port, apiKey: account.apiKey) == 202)
        }
        let start = try #require(server.peakResidentBytes())
        #expect(try await Self.upload(large, raw: true, port: port, apiKey: account.apiKey) == 202)
        let afterRaw = try #require(server.peakResidentBytes())
        #expect(afterRaw - start < largeBytes / 4, "peak grew by \(afterRaw - start) bytes for a \(largeBytes)-byte raw body")
        #expect(try await Self.upload(medium, raw: false, port: port, apiKey: account.apiKey) == 202)
        let afterMultipart = try #require(server.peakResidentBytes())
        // Holding this body whole would add all of its bytes; the margin is for the parser's
        // warm-up and the thread pool's noise, seen up to 0.7 MB in a debug build on a busy machine.
        #expect(afterMultipart - afterRaw < mediumBytes * 3 / 4,
                "peak grew by \(afterMultipart - afterRaw) bytes for a \(mediumBytes)-byte multipart body")
    }

    static func size(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }

    /// An upload streamed from the file, so this client holds 64 KiB at a time: a raw
    /// audio body, or multipart with subtitles.
    static func upload(_ path: String, raw: Bool, port: Int, apiKey: String) async throws -> Int {
        let size = try size(path)
        return try await onThread {
            var form = MultipartForm()
            form.field("target_language", "fr")
            form.file("subtitles", filename: "fr.srt", contentType: "application/x-subrip", AudioFixtures.subtitles)
            let head = raw ? [] : Array((String(decoding: form.bytes, as: UTF8.self)
                + "--\(form.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n").utf8)
            let tail = raw ? [] : Array("\r\n--\(form.boundary)--\r\n".utf8)
            let target = raw ? "/api/dub?target_language=fr" : "/api/dub"
            let connection = try RawHTTPConnection(port: port)
            connection.sendUploadHead(
                path: target, apiKey: apiKey, contentType: raw ? "audio/wav" : form.contentType,
                contentLength: head.count + size + tail.count)
            guard connection.send(head), try connection.sendFile(path), connection.send(tail) else { return 0 }
            return try connection.readResponse(timeoutMilliseconds: 60_000).status
        }
    }
}

/// `auris serve` in a child process on a free port.
final class ServeProcess: @unchecked Sendable {
    // A Process is only touched by the test that owns it, one step at a time.
    private let process = Process()
    let port = Int.random(in: 20_000..<60_000)

    /// - Parameter environment: the store's (`TestStore.environment`).
    init(environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: try ExecutableLocator.path(of: "auris"))
        process.arguments = ["serve", "--port", String(port)]
        process.environment = ProcessInfo.processInfo.environment.merging(
            environment.merging([
                // Accepts uploads without subtitles; no worker runs, and the port is closed.
                "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9",
            ]) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilServing() async throws -> Int {
        for _ in 0..<300 {
            guard process.isRunning else { throw FixtureError("auris serve exited with \(process.terminationStatus)") }
            let port = port
            let status = try? await onThread { () throws -> Int in
                let connection = try RawHTTPConnection(port: port)
                _ = connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return try connection.readResponse(timeoutMilliseconds: 2_000).status
            }
            if status == 200 { return port }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("auris serve did not answer /healthz")
    }

    /// `VmHWM` of /proc/<pid>/status: the most memory the process has held at once.
    func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1_024 }
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
