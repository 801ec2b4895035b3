import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct ProviderWaitClockTests {
    /// Two calls in flight together are one wait, not two: the clock reports their union.
    @Test func overlappingCallsCountOnce() async throws {
        let clock = ProviderWaitClock()
        // Each call waits inside the clock until both are in: they overlap by at least the sleep.
        let barrier = Barrier(parties: 2)
        let call: @Sendable () async throws(DubbingError) -> (ContinuousClock.Instant, ContinuousClock.Instant) = {
            try await clock.measure { () async throws(DubbingError) in
                let start = ContinuousClock.now
                await barrier.arrive()
                try? await Task.sleep(for: .milliseconds(300))
                return (start, .now)
            }
        }
        let outerStart = ContinuousClock.now
        async let first = call()
        let second = try await call()
        let firstInterval = try await first
        let outerEnd = ContinuousClock.now

        let union = min(firstInterval.0, second.0).duration(to: max(firstInterval.1, second.1))
        let sum = firstInterval.0.duration(to: firstInterval.1) + second.0.duration(to: second.1)
        #expect(clock.waited >= union)
        #expect(clock.waited <= outerStart.duration(to: outerEnd))
        // Summing the calls would count the ≥ 300 ms they shared twice (half of it is slack for a loaded machine).
        #expect(clock.waited <= sum - .milliseconds(150))
    }

    /// The OpenAI client records its calls into the job's clock.
    @Test func theOpenAIEngineRecordsItsCallsIntoTheBoundClock() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            for endpoint in FakeOpenAIEndpoint.allCases { server.setLatency(milliseconds: 150, for: endpoint) }
            let source = try await AudioFixture.tone(seconds: 4, at: folder.appending("source.wav"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(targetLanguage: "fr", durationMilliseconds: 4_000)
            let uploaded = DubbingSource(audioPath: source)
            let clock = ProviderWaitClock()
            let start = ContinuousClock.now
            try await ProviderWaitClock.$current.withValue(clock) {
                try await engine.dub(request, source: uploaded, workFolder: folder.appending("work"), outputPath: folder.appending("out.mp3"), logger: testLogger) { _, _ in }
            }
            let elapsed = start.duration(to: .now)
            // Transcription, translation and at least one round of speech, each ≥ 150 ms, one after another.
            #expect(clock.waited >= .milliseconds(450))
            #expect(clock.waited < elapsed)
        }
    }
}

/// Lets `parties` tasks go on only once all of them have arrived.
private actor Barrier {
    private let parties: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        if self.waiting.count + 1 == self.parties {
            self.waiting.forEach { $0.resume() }
            self.waiting = []
            return
        }
        await withCheckedContinuation { self.waiting.append($0) }
    }
}
