import AurisTestSupport
import Foundation
@testable import Media
import Testing

/// A video upload is measured by its audio, and the probe says what a video result needs
/// to know: the video codecs, the container's own name for itself, the track's language.
@Suite(.timeLimit(.minutes(5))) struct VideoProbeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var brand: String
        var videoCodec: String
        var audioCodec: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "clip.mp4", brand: "isom", videoCodec: "h264", audioCodec: "aac"),
        Case(file: "clip.mov", brand: "qt  ", videoCodec: "h264", audioCodec: "aac"),
        Case(file: "clip.webm", brand: "webm", videoCodec: "vp8", audioCodec: "opus"),
        Case(file: "clip.mkv", brand: "matroska", videoCodec: "h264", audioCodec: "aac"),
    ]

    @Test("a 4 s video with 2.5 s of audio is charged for 2.5 s; its brand, codecs and language are reported", arguments: cases)
    func measuresTheAudioOfAVideo(_ format: Case) async throws {
        let folder = try TemporaryDirectory("auris-video-probe")
        defer { folder.remove() }
        let file = try await TestVideo(seconds: 4, audioSeconds: 2.5, audioLanguage: "spa").write(to: folder.appending(format.file))

        let info = try AudioProbe().probe(fileAtPath: file)

        // The audio's length as ffmpeg decodes it (Matroska keeps AAC's priming: 2.54 s), not the video's 4 s.
        let decoded = try FFmpegTool.decodedMillisecondsBlocking(of: file)
        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(info.durationMilliseconds < 2_600)
        #expect(info.hasVideo)
        #expect(info.videoCodecNames == [format.videoCodec])
        #expect(info.containerBrand == format.brand)
        #expect(info.audioStreams.map(\.codecName) == [format.audioCodec])
        #expect(info.audioStreams.first?.language == "spa")
    }

    @Test func aVideoWithoutAudioIsRefusedAsSuch() async throws {
        let folder = try TemporaryDirectory("auris-video-probe")
        defer { folder.remove() }
        let file = try await TestVideo(seconds: 2, hasAudio: false).write(to: folder.appending("silent.mp4"))

        let error = #expect(throws: MediaError.self) { try AudioProbe().probe(fileAtPath: file) }
        #expect(error?.code == "video_without_audio")
        #expect(error?.isNotAudio == false, "a video the API reads, with nothing to dub: 422, not 415")
    }

    @Test func anUntaggedTrackHasNoLanguage() async throws {
        let folder = try TemporaryDirectory("auris-video-probe")
        defer { folder.remove() }
        let file = try await TestVideo(seconds: 1).write(to: folder.appending("untagged.mp4"))
        #expect(try AudioProbe().probe(fileAtPath: file).audioStreams.first?.language == nil)
    }

    @Test func readsTheDocTypeOfAnEBMLHeader() {
        // EBMLVersion 1, EBMLReadVersion 1, DocType "webm": what ffmpeg writes first.
        let header: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x8F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0x82, 0x84]
            + Array("webm".utf8)
        #expect(MatroskaDocType.parse(header) == "webm")
        // A size that runs past the bytes read, an unknown size, or no header at all.
        #expect(MatroskaDocType.parse(Array(header.prefix(17))) == nil)
        #expect(MatroskaDocType.parse([0x1A, 0x45, 0xDF, 0xA3, 0xFF]) == nil)
        #expect(MatroskaDocType.parse(Array("RIFF....WAVE".utf8)) == nil)
    }
}
