import Foundation
@testable import Media
import Testing

/// Every accepted format is measured within 50 ms of what ffmpeg decodes from it.
@Suite(.timeLimit(.minutes(5))) struct FormatDurationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var codec: [String]
        var sampleRate: Int
        var formatName: String
        var codecName: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "tone.wav", codec: ["-c:a", "pcm_s16le"], sampleRate: 44_100, formatName: "wav", codecName: "pcm_s16le"),
        Case(file: "tone.mp3", codec: ["-c:a", "libmp3lame", "-b:a", "64k"], sampleRate: 44_100, formatName: "mp3", codecName: "mp3"),
        Case(file: "tone.m4a", codec: ["-c:a", "aac", "-b:a", "64k"], sampleRate: 44_100, formatName: "mov,mp4,m4a,3gp,3g2,mj2", codecName: "aac"),
        Case(file: "tone.ogg", codec: ["-c:a", "libopus", "-b:a", "32k"], sampleRate: 48_000, formatName: "ogg", codecName: "opus"),
        Case(file: "vorbis.ogg", codec: ["-c:a", "libvorbis"], sampleRate: 44_100, formatName: "ogg", codecName: "vorbis"),
        Case(file: "tone.flac", codec: ["-c:a", "flac"], sampleRate: 44_100, formatName: "flac", codecName: "flac"),
        Case(file: "tone.webm", codec: ["-c:a", "libopus", "-b:a", "32k"], sampleRate: 48_000, formatName: "matroska,webm", codecName: "opus"),
        Case(file: "tone.aac", codec: ["-c:a", "aac", "-b:a", "64k"], sampleRate: 44_100, formatName: "aac", codecName: "aac"),
    ]

    @Test("a 7.3 s stereo tone is measured within 50 ms of its decoded length", arguments: cases)
    func measuresPacketsLikeTheDecoder(_ format: Case) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 7.3, sampleRate: format.sampleRate, channels: 2, codec: format.codec, output: format.file)

        let info = try AudioProbe().probe(fileAtPath: file)
        let decoded = try fixtures.decodedMilliseconds(of: file)

        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(info.formatName == format.formatName)
        #expect(info.audioStreams == [AudioStreamInfo(index: 0, codecName: format.codecName, sampleRate: format.sampleRate, channels: 2)])
        #expect(info.measuredStreamIndex == 0)
        #expect(!info.hasVideo)
        #expect(info.sizeBytes == Int64(try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)))
        #expect(fixtures.openDescriptorCount() ?? 0 == 0, "the probe closed the file")
    }

    @Test("probes running at the same time on many threads agree")
    func concurrentProbesAgree() async throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let files = try Self.cases.prefix(4).map { try fixtures.tone(seconds: 3.1, sampleRate: $0.sampleRate, codec: $0.codec, output: $0.file) }
        let expected = try files.map { try AudioProbe().probe(fileAtPath: $0) }

        let results = try await withThrowingTaskGroup(of: (Int, AudioInfo).self) { group in
            for round in 0..<32 {
                let index = round % files.count
                let file = files[index]
                group.addTask { (index, try AudioProbe().probe(fileAtPath: file)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        #expect(results.count == 32)
        for (index, info) in results {
            #expect(info == expected[index])
        }
        #expect(fixtures.openDescriptorCount() ?? 0 == 0)
    }

    @Test("the decoding fallback agrees with the packet measurement", arguments: cases)
    func decodingAgreesWithPackets(_ format: Case) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 4.2, sampleRate: format.sampleRate, codec: format.codec, output: format.file)

        let probe = AudioProbe()
        let packets = try probe.probe(fileAtPath: file).durationMilliseconds
        let decoded = try probe.decodedDurationMilliseconds(fileAtPath: file)

        #expect(abs(packets - decoded) <= 50, "packets \(packets) ms, decoder \(decoded) ms")
    }

    @Test("a video with an audio track is accepted and measured by its audio")
    func acceptsVideoWithAudio() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        // The video runs 3 s, the audio 2.5 s: the audio is what gets dubbed and charged.
        let file = try fixtures.ffmpeg(
            ["-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=25",
             "-f", "lavfi", "-i", "sine=duration=2.5",
             "-c:v", "mpeg4", "-c:a", "aac"],
            output: "clip.mp4"
        )

        let info = try AudioProbe().probe(fileAtPath: file)
        let decoded = try fixtures.decodedMilliseconds(of: file)

        #expect(info.hasVideo)
        #expect(info.audioStreams.map(\.codecName) == ["aac"])
        #expect(info.measuredStreamIndex == 1)
        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(abs(info.durationMilliseconds - 2500) <= 50)
    }

    @Test("with two audio tracks the first is measured: it is the one the pipeline dubs")
    func measuresTheFirstAudioStream() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.ffmpeg(
            ["-f", "lavfi", "-i", "sine=duration=2", "-f", "lavfi", "-i", "sine=duration=5:sample_rate=48000",
             "-map", "0:a", "-map", "1:a", "-ac:1", "2", "-c:a", "libopus"],
            output: "two-tracks.mka"
        )

        let info = try AudioProbe().probe(fileAtPath: file)

        #expect(info.audioStreams.map(\.index) == [0, 1])
        #expect(info.audioStreams.map(\.channels) == [1, 2])
        #expect(info.measuredStreamIndex == 0)
        #expect(abs(info.durationMilliseconds - 2000) <= 50)
    }

    @Test("cover art in an MP3 is not video")
    func coverArtIsNotVideo() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let cover = try fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1"], output: "cover.png")
        let file = try fixtures.ffmpeg(
            ["-f", "lavfi", "-i", "sine=duration=2", "-i", cover, "-map", "0:a", "-map", "1:v",
             "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic"],
            output: "covered.mp3"
        )

        let info = try AudioProbe().probe(fileAtPath: file)

        #expect(!info.hasVideo)
        #expect(abs(info.durationMilliseconds - 2000) <= 50)
    }
}
