import AurisTestSupport
import Billing
import Dubbing
import Foundation
import Logging
import MediaStore
import Queue
import Testing
@testable import Worker

/// Jobs with `speakers=auto` run by the real OpenAI engine against the fake: the
/// transcript is kept beside the result and expires with it; a refused diarization
/// fails the job for good and gives its credits back.
@Suite(.timeLimit(.minutes(5))) struct SpeakerJobTests {
    /// Stores a two-speaker clip as the job's upload and queues it with `speakers=auto`.
    private func enqueueSpeakers(_ fixture: WorkerFixture) async throws -> ClaimedJob {
        let uploadID = "up_\(UUID().uuidString)"
        let source = try await SpeakerTones(frequencies: [440, 660]).write(to: fixture.store.directory.appending("\(uploadID).wav"))
        try await fixture.queue.recordUpload(id: uploadID, account: fixture.account)
        try await fixture.media.put(
            fileAtPath: source, as: .uploadedAudio(uploadID: uploadID), sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: source))
        let request = DubbingRequest(targetLanguage: "fr", sourceLanguage: "en", durationMilliseconds: 6_000, speakers: .auto)
        let job = try await fixture.queue.enqueue(EnqueueRequest(
            account: fixture.account, credits: 1, durationMilliseconds: 6_000,
            payload: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), uploadID: uploadID)).job
        let claimed = try #require(try await fixture.claim())
        #expect(claimed.id == job.id)
        return claimed
    }

    private func engine(_ server: FakeOpenAIServer) throws -> any DubbingEngine {
        try EngineConfiguration(
            engine: .openai, openAIAPIKey: "sk-test", openAIBaseURL: server.baseURL, requestTimeoutSeconds: 20,
            transcriptionTimeoutSeconds: 20, ffmpegTimeoutSeconds: 60
        ).makeEngine()
    }

    private func withFakeOpenAI(_ body: (FakeOpenAIServer) async throws -> Void) async throws {
        let server = FakeOpenAIServer()
        _ = try await server.start()
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func aRefusedDiarizationFailsTheJobAndReleasesItsCredits() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        try await withFakeOpenAI { server in
            let claimed = try await enqueueSpeakers(fixture)
            server.inject(.badRequest, on: .transcriptions)
            await WorkerFixture.runner(
                try engine(server), queue: fixture.queue, files: fixture.files, media: fixture.media, draining: fixture.draining
            ).run(claimed)

            let failed = try #require(try await fixture.job(claimed.id))
            #expect(failed.state == .failed && failed.attempts == 1)
            #expect(failed.errorCode == "diarization_refused")
            #expect(try await fixture.balance() == Balance(available: 10, held: 0, received: 10, spent: 0))
            #expect(try await !fixture.stored(.result(jobID: claimed.id, fileExtension: "mp3")))
            #expect(try await !fixture.stored(.transcript(jobID: claimed.id)))
            #expect(try await fixture.store.violations() == [])
        }
    }

    @Test func theTranscriptIsKeptWithTheResultAndExpiresWithIt() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        try await withFakeOpenAI { server in
            let claimed = try await enqueueSpeakers(fixture)
            await WorkerFixture.runner(
                try engine(server), queue: fixture.queue, files: fixture.files, media: fixture.media, draining: fixture.draining
            ).run(claimed)
            #expect(try await fixture.job(claimed.id)?.state == .succeeded)

            let file = fixture.store.directory.appending("transcript.json")
            _ = try await fixture.media.get(.transcript(jobID: claimed.id), toFileAtPath: file)
            let transcript = try JSONDecoder().decode(
                DubbingTranscript.self, from: try #require(FileManager.default.contents(atPath: file)))
            #expect(transcript.lines.map(\.speaker) == ["A", "B"])
            #expect(Set(transcript.lines.compactMap(\.voice)).count == 2)
            #expect(Set(server.speechRequests().map(\.voice)) == Set(transcript.lines.compactMap(\.voice)))

            fixture.store.clock.advance(byMilliseconds: 73 * 3_600_000)
            await Sweeper(
                files: fixture.files, queue: fixture.queue, media: fixture.media, resultTTLHours: 72,
                clock: fixture.store.clock, logger: Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() }
            ).sweep()
            #expect(try await !fixture.stored(.result(jobID: claimed.id, fileExtension: "mp3")))
            #expect(try await !fixture.stored(.transcript(jobID: claimed.id)))
            #expect(try await fixture.store.violations() == [])
        }
    }
}
