import AurisTestSupport
import Foundation
import Logging
import Media
import Synchronization
import Testing

@testable import Dubbing

enum AudioFixture {
    /// A stereo 44.1 kHz tone of `seconds` (a typical upload's shape), in the format of the path's extension.
    static func tone(seconds: Double, at path: String) async throws -> String {
        try await Tone(seconds: seconds, channels: 2, frequency: 220).write(to: path)
    }

    /// ffprobe's duration of a file, in milliseconds.
    static func durationMilliseconds(_ path: String) async throws -> Int64 {
        Int64((try await FFmpegTool.probedSeconds(of: path) * 1000).rounded())
    }

    /// The loudest sample of a file in dBFS (ffmpeg's volumedetect): near -91 for silence.
    static func maxVolumeDecibels(_ path: String, startSeconds: Double = 0, seconds: Double? = nil) async throws -> Double {
        var arguments = ["-hide_banner", "-nostdin", "-ss", "\(startSeconds)"]
        if let seconds { arguments += ["-t", "\(seconds)"] }
        arguments += ["-i", path, "-af", "volumedetect", "-f", "null", "-"]
        // volumedetect reports on standard error at info level, so run ffmpeg with its default log level.
        let command = FFmpegCommand(executable: "sh", arguments: ["-c", "ffmpeg \(arguments.map { "'\($0)'" }.joined(separator: " ")) 2>&1"], timeoutSeconds: 30)
        let output = String(decoding: try await command.run(), as: UTF8.self)
        let line = try #require(output.split(separator: "\n").first { $0.contains("max_volume:") })
        let value = line.split(separator: "max_volume:")[1].trimmingCharacters(in: .whitespaces).split(separator: " ")[0]
        return try #require(Double(value))
    }
}

/// Collects progress reports from the engine's callback.
actor ProgressLog {
    private(set) var reports: [(DubbingStage, Double)] = []
    private var waiters: [(DubbingStage, CheckedContinuation<Void, Never>)] = []

    func record(_ stage: DubbingStage, _ progress: Double) {
        self.reports.append((stage, progress))
        let ready = self.waiters.filter { $0.0 == stage }
        self.waiters.removeAll { $0.0 == stage }
        for waiter in ready { waiter.1.resume() }
    }

    /// Returns once `stage` has been reported.
    func waitFor(_ stage: DubbingStage) async {
        if self.reports.contains(where: { $0.0 == stage }) { return }
        await withCheckedContinuation { self.waiters.append((stage, $0)) }
    }

    var isNonDecreasing: Bool {
        zip(self.reports, self.reports.dropFirst()).allSatisfy { $0.1 <= $1.1 }
    }
}

/// Runs `body` with a started fake OpenAI server and stops it afterwards, even on failure.
func withFakeOpenAI<T>(
    _ configuration: FakeOpenAIServer.Configuration = .init(),
    _ body: (FakeOpenAIServer) async throws -> T
) async throws -> T {
    let server = FakeOpenAIServer(configuration: configuration)
    _ = try await server.start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension EngineConfiguration {
    /// The openai engine against a fake server, with test-sized limits.
    static func fake(_ server: FakeOpenAIServer, requestTimeoutSeconds: Double = 20) -> EngineConfiguration {
        EngineConfiguration(
            engine: .openai,
            openAIAPIKey: "sk-test",
            openAIBaseURL: server.baseURL,
            requestTimeoutSeconds: requestTimeoutSeconds,
            transcriptionTimeoutSeconds: requestTimeoutSeconds,
            ffmpegTimeoutSeconds: 60
        )
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "dubbing-tests")
    logger.logLevel = .error
    return logger
}()

/// A log handler that keeps what is logged, to check that provider calls are traceable.
struct CapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let entry = Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
        self.store.entries.withLock { $0.append(entry) }
    }
}
