import AurisTestSupport
import Dubbing
import Foundation
import Logging
import Synchronization

/// An engine that does what a test tells it to: succeed, fail transiently (with a
/// Retry-After) or permanently, or block until released; it counts its calls and notes
/// what it was given and whether it was cancelled.
final class FakeEngine: DubbingEngine {
    enum Behaviour: Sendable {
        case succeed
        case failTransiently(retryAfterSeconds: Double?)
        case failPermanently
        /// Reports progress until `release()`, then succeeds; throws `canceled` when its
        /// task is cancelled first.
        case blockUntilReleased
    }

    private struct State {
        var calls = 0
        var sources: [DubbingSource] = []
        /// What the last run found in its source files, by name (`audio`, `subtitles`).
        var readSources: [String: String] = [:]
        var started = false
        var released = false
        var sawCancellation = false
    }

    let behaviour: Behaviour
    private let state = Mutex(State())

    init(_ behaviour: Behaviour) {
        self.behaviour = behaviour
    }

    var name: String { "fake" }
    var calls: Int { state.withLock { $0.calls } }
    var sources: [DubbingSource] { state.withLock { $0.sources } }
    var readSources: [String: String] { state.withLock { $0.readSources } }
    var sawCancellation: Bool { state.withLock { $0.sawCancellation } }

    func release() {
        state.withLock { $0.released = true }
    }

    /// Returns once a blocking run has started, so the test acts on a job mid-run.
    func waitUntilStarted() async throws {
        try await waitFor("the engine to start") { self.state.withLock { $0.started } }
    }

    func unsupportedReason(targetLanguage: String, hasSubtitles: Bool, voice: String?) -> String? { nil }

    func dub(
        _ request: DubbingRequest, source: DubbingSource, workFolder: String, outputPath: String, logger: Logger,
        progress: @escaping @Sendable (DubbingStage, Double) async -> Void
    ) async throws(DubbingError) {
        var read = ["audio": (try? String(contentsOfFile: source.audioPath, encoding: .utf8)) ?? "<missing>"]
        if let subtitles = source.subtitlesPath {
            read["subtitles"] = (try? String(contentsOfFile: subtitles, encoding: .utf8)) ?? "<missing>"
        }
        state.withLock { state in
            state.calls += 1
            state.sources.append(source)
            state.readSources = read
            state.started = true
        }
        switch behaviour {
        case .succeed:
            try writeResult(outputPath)
        case .failTransiently(let retryAfterSeconds):
            throw .providerRateLimited("429 from the fake provider", retryAfterSeconds: retryAfterSeconds)
        case .failPermanently:
            throw .providerRejected("the fake provider refused the request")
        case .blockUntilReleased:
            var fraction = 0.0
            while !state.withLock({ $0.released }) {
                if Task.isCancelled {
                    state.withLock { $0.sawCancellation = true }
                    throw .canceled
                }
                // Fresh progress makes the runner heartbeat at every tick.
                fraction = min(0.99, fraction + 0.001)
                await progress(.synthesize, fraction)
                try? await Task.sleep(for: .milliseconds(5))
            }
            try writeResult(outputPath)
        }
    }

    private func writeResult(_ path: String) throws(DubbingError) {
        guard FileManager.default.createFile(atPath: path, contents: Data("dubbed".utf8)) else {
            throw .storageFailed("cannot write \(path)")
        }
    }
}

/// Polls `condition` every few milliseconds for up to ten seconds.
func waitFor(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw FixtureError("timed out waiting for \(what)")
}
