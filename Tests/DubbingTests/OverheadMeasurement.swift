import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

/// Time a job spends outside provider calls (ffmpeg and bookkeeping), for a 30 s clip.
/// Run with `AURIS_MEASURE=1 swift test --filter OverheadMeasurement`.
@Suite struct OverheadMeasurement {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AURIS_MEASURE"] != nil))
    func measureA30SecondJob() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await withFakeOpenAI { server in
            let source = try await AudioFixture.tone(seconds: 30, at: folder.file("source.mp3"))
            let engine = try EngineConfiguration.fake(server).makeEngine()
            let request = DubbingRequest(sourceAudioPath: source, targetLanguage: "fr", durationMilliseconds: 30_000)
            for run in 1...3 {
                let times = StageTimes()
                let start = ContinuousClock.now
                try await engine.dub(request, workFolder: folder.file("work\(run)"), outputPath: folder.file("out\(run).mp3"), logger: testLogger) {
                    await times.record($0, $1)
                }
                let total = ContinuousClock.now - start
                let marks = await times.lastReport
                let prepare = try #require(marks[.prepare]) - start
                let assemble = ContinuousClock.now - (try #require(marks[.synthesize]))
                print("run \(run): total \(total), prepare \(prepare), assemble \(assemble), outside provider calls \(prepare + assemble)")
            }
        }
    }
}

actor StageTimes {
    private(set) var lastReport: [DubbingStage: ContinuousClock.Instant] = [:]

    func record(_ stage: DubbingStage, _ progress: Double) {
        self.lastReport[stage] = .now
    }
}
