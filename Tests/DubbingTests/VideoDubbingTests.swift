import AurisTestSupport
import Foundation
import Media
import Testing

@testable import Dubbing

/// A video upload comes back as video: its video packets untouched, the dub first and
/// default, the original second and labelled, in the source's container.
@Suite(.timeLimit(.minutes(5))) struct VideoDubbingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var container: ResultContainer
        var brand: String
        var dubCodec: String
        var originalCodec: String
        /// One frame of the dub's codec at the speech rate (24 kHz): AAC 1024 samples, Opus 20 ms.
        var frameMilliseconds: Int64
        var testDescription: String { "\(file) → \(container.fileExtension)" }
    }

    static let cases: [Case] = [
        Case(file: "clip.mp4", container: .mp4, brand: "isom", dubCodec: "aac", originalCodec: "aac", frameMilliseconds: 43),
        Case(file: "clip.mov", container: .mov, brand: "qt  ", dubCodec: "aac", originalCodec: "aac", frameMilliseconds: 43),
        Case(file: "clip.webm", container: .webm, brand: "webm", dubCodec: "opus", originalCodec: "opus", frameMilliseconds: 20),
        Case(file: "clip.mkv", container: .mkv, brand: "matroska", dubCodec: "aac", originalCodec: "aac", frameMilliseconds: 43),
    ]

    @Test("a video comes back in its container, video copied, dub first, original second", arguments: cases)
    func keepsTheContainerAndTheVideo(_ format: Case) async throws {
        let folder = try TemporaryDirectory("auris-video-dub")
        defer { folder.remove() }
        let source = try await TestVideo(seconds: 3, audioLanguage: "eng").write(to: folder.appending(format.file))

        let (result, info, request) = try await dub(source, in: folder)

        #expect(request.resultContainer == format.container)
        let probed = try AudioProbe().probe(fileAtPath: result)
        #expect(probed.containerBrand == format.brand)
        #expect(abs(probed.durationMilliseconds - info.durationMilliseconds) <= format.frameMilliseconds,
                "the dub is \(probed.durationMilliseconds) ms, the source's audio \(info.durationMilliseconds) ms")
        #expect(try await TestVideo.videoPacketHash(of: result) == TestVideo.videoPacketHash(of: source))
        let streams = try await TestVideo.streams(of: result).streams
        #expect(streams.map(\.codecType) == ["video", "audio", "audio"])
        let dubbed = streams[1], original = streams[2]
        #expect(dubbed.codecName == format.dubCodec && dubbed.isDefault)
        #expect(dubbed.tags["language"] == "fra")
        #expect(original.codecName == format.originalCodec && !original.isDefault)
        #expect(original.tags["language"] == "eng")
        // MP4 and QuickTime label a track by its handler; Matroska by its title.
        #expect(original.tags["handler_name"] == "Original" || original.tags["title"] == "Original")
    }

    @Test func originalDropLeavesOneAudioTrack() async throws {
        let folder = try TemporaryDirectory("auris-video-dub")
        defer { folder.remove() }
        let source = try await TestVideo(seconds: 3).write(to: folder.appending("clip.mp4"))

        let (result, _, _) = try await dub(source, in: folder, keepsOriginal: false)

        #expect(try await TestVideo.streams(of: result).streams.map(\.codecType) == ["video", "audio"])
        #expect(try await TestVideo.videoPacketHash(of: result) == TestVideo.videoPacketHash(of: source))
    }

    @Test("a video in another container (AVI) comes back as Matroska; an original it cannot hold is encoded")
    func otherContainersBecomeMatroska() async throws {
        let folder = try TemporaryDirectory("auris-video-dub")
        defer { folder.remove() }
        let source = folder.appending("clip.avi")
        try await FFmpegTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=size=64x36:rate=5:duration=3", "-f", "lavfi", "-i", "sine=sample_rate=22050:duration=3",
            "-c:v", "mpeg4", "-c:a", "adpcm_ms", source,
        ])

        let (result, _, request) = try await dub(source, in: folder, keepBackground: true, sourceLanguage: "de")

        #expect(request.video == VideoResult(container: .mkv, keepsOriginal: true, copiesOriginal: false, originalLanguage: "deu"))
        let (formatName, streams) = try await TestVideo.streams(of: result)
        #expect(formatName.contains("matroska"))
        #expect(streams.map(\.codecName) == ["mpeg4", "aac", "aac"])
        #expect(streams[2].tags["language"] == "deu")
        #expect(try await TestVideo.videoPacketHash(of: result) == TestVideo.videoPacketHash(of: source))
    }

    @Test func anAudioUploadStillGivesAnMP3() async throws {
        let folder = try TemporaryDirectory("auris-video-dub")
        defer { folder.remove() }
        let source = try await AudioFixture.tone(seconds: 3, at: folder.appending("tone.m4a"))
        let info = try AudioProbe().probe(fileAtPath: source)
        #expect(VideoResult(source: info, keepsOriginal: true, sourceLanguage: nil) == nil)
        #expect(DubbingRequest(targetLanguage: "fr", durationMilliseconds: 3_000).resultContainer == .mp3)
    }

    /// Dubs `source` from two French cues with the offline engine, as a worker would.
    private func dub(
        _ source: String, in folder: TemporaryDirectory, keepsOriginal: Bool = true, keepBackground: Bool = false,
        sourceLanguage: String? = nil
    ) async throws -> (result: String, info: AudioInfo, request: DubbingRequest) {
        let info = try AudioProbe().probe(fileAtPath: source)
        let subtitles = try folder.write("1\n00:00:00,500 --> 00:00:01,500\nBonjour.\n\n2\n00:00:01,600 --> 00:00:02,600\nÇa va ?\n", to: "fr.srt")
        let request = DubbingRequest(
            hasSubtitles: true, targetLanguage: "fr", sourceLanguage: sourceLanguage, keepBackground: keepBackground,
            durationMilliseconds: info.durationMilliseconds,
            video: VideoResult(source: info, keepsOriginal: keepsOriginal, sourceLanguage: sourceLanguage))
        let result = folder.appending("result.\(request.resultContainer.fileExtension)")
        let engine = try EngineConfiguration(engine: .offline).makeEngine()
        try await engine.dub(
            request, source: DubbingSource(audioPath: source, subtitlesPath: subtitles), workFolder: folder.appending("work"),
            outputPath: result, logger: testLogger) { _, _ in }
        return (result, info, request)
    }
}
