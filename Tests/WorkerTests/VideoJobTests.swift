import AurisTestSupport
import Dubbing
import Foundation
import Media
import MediaStore
import Queue
import Testing
@testable import Worker

/// A video job, end to end through the worker with the offline engine: the upload fetched
/// from the store, dubbed, muxed, and its result put under its own type.
@Suite(.timeLimit(.minutes(5))) struct VideoJobTests {
    @Test("a 30-s MP4 comes back as MP4 with the same video packets and two audio tracks, the first as long as the source")
    func thirtySecondMP4() async throws {
        let fixture = try await WorkerFixture()
        defer { fixture.remove() }
        let source = try await TestVideo(seconds: 30, audioLanguage: "eng").write(to: fixture.store.directory.appending("clip.mp4"))
        let info = try AudioProbe().probe(fileAtPath: source)
        let uploadID = "up_video"
        try await fixture.queue.recordUpload(id: uploadID, account: fixture.account)
        try await fixture.media.put(fileAtPath: source, as: .uploadedAudio(uploadID: uploadID), sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: source))
        try await fixture.put(
            "1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous.\n\n2\n00:00:20,000 --> 00:00:22,000\nEt au revoir.\n",
            as: .uploadedSubtitles(uploadID: uploadID))
        let request = DubbingRequest(
            hasSubtitles: true, targetLanguage: "fr", durationMilliseconds: info.durationMilliseconds,
            video: VideoResult(source: info, keepsOriginal: true, sourceLanguage: nil))
        let job = try await fixture.queue.enqueue(EnqueueRequest(
            account: fixture.account, credits: 3, durationMilliseconds: info.durationMilliseconds,
            payload: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), uploadID: uploadID)).job
        let claimed = try #require(try await fixture.claim())

        await fixture.runner(try EngineConfiguration(engine: .offline).makeEngine()).run(claimed)

        #expect(try await fixture.job(job.id)?.state == .succeeded)
        #expect(try await !fixture.stored(.result(jobID: job.id, fileExtension: "mp3")))
        let result = fixture.store.directory.appending("result.mp4")
        _ = try await fixture.media.get(.result(jobID: job.id, fileExtension: "mp4"), toFileAtPath: result)
        let probed = try AudioProbe().probe(fileAtPath: result)
        #expect(probed.formatName.contains("mp4") && probed.containerBrand == "isom")
        // One AAC frame at the speech rate is 1024 / 24 000 s.
        #expect(abs(probed.durationMilliseconds - info.durationMilliseconds) <= 43,
                "the dub is \(probed.durationMilliseconds) ms, the source's audio \(info.durationMilliseconds) ms")
        #expect(try await TestVideo.videoPacketHash(of: result) == TestVideo.videoPacketHash(of: source))
        let streams = try await TestVideo.streams(of: result).streams
        #expect(streams.map(\.codecType) == ["video", "audio", "audio"])
        #expect(streams[1].isDefault && streams[1].tags["language"] == "fra")
        #expect(!streams[2].isDefault && streams[2].tags["handler_name"] == "Original" && streams[2].tags["language"] == "eng")
        #expect(try await fixture.uploadGone(uploadID))
        #expect(try await fixture.store.violations() == [])
    }
}
