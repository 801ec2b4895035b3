import Foundation
@testable import Media
import Testing

/// Uploads come in more shapes than the usual 44.1/48 kHz 16-bit stereo: odd and high
/// sample rates, 24-bit and float PCM, surround, fragmented MP4. Each is measured within
/// 50 ms of what ffmpeg itself decodes from the file.
@Suite(.timeLimit(.minutes(5))) struct SampleShapeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var file: String
        var codec: [String]
        var sampleRate: Int
        var channels: Int = 1
        var codecName: String
    }

    static let cases: [Case] = [
        Case(testDescription: "WAV at 11.025 kHz", file: "tone.wav", codec: ["-c:a", "pcm_s16le"], sampleRate: 11_025, codecName: "pcm_s16le"),
        Case(testDescription: "AAC at 11.025 kHz", file: "tone.m4a", codec: ["-c:a", "aac"], sampleRate: 11_025, codecName: "aac"),
        Case(testDescription: "MP3 at 22.05 kHz", file: "tone.mp3", codec: ["-c:a", "libmp3lame"], sampleRate: 22_050, codecName: "mp3"),
        Case(testDescription: "Vorbis at 22.05 kHz", file: "tone.ogg", codec: ["-c:a", "libvorbis"], sampleRate: 22_050, codecName: "vorbis"),
        Case(testDescription: "MP3 at 32 kHz", file: "tone.mp3", codec: ["-c:a", "libmp3lame"], sampleRate: 32_000, codecName: "mp3"),
        Case(testDescription: "AAC at 32 kHz", file: "tone.m4a", codec: ["-c:a", "aac"], sampleRate: 32_000, codecName: "aac"),
        Case(testDescription: "WAV at 96 kHz", file: "tone.wav", codec: ["-c:a", "pcm_s16le"], sampleRate: 96_000, codecName: "pcm_s16le"),
        Case(testDescription: "FLAC at 96 kHz", file: "tone.flac", codec: ["-c:a", "flac"], sampleRate: 96_000, codecName: "flac"),
        Case(testDescription: "24-bit WAV", file: "tone.wav", codec: ["-c:a", "pcm_s24le"], sampleRate: 48_000, channels: 2, codecName: "pcm_s24le"),
        Case(testDescription: "32-bit float WAV", file: "tone.wav", codec: ["-c:a", "pcm_f32le"], sampleRate: 44_100, channels: 2, codecName: "pcm_f32le"),
        Case(testDescription: "5.1 WAV", file: "tone.wav", codec: ["-c:a", "pcm_s16le"], sampleRate: 48_000, channels: 6, codecName: "pcm_s16le"),
        Case(testDescription: "5.1 FLAC", file: "tone.flac", codec: ["-c:a", "flac"], sampleRate: 48_000, channels: 6, codecName: "flac"),
        Case(testDescription: "5.1 AAC", file: "tone.m4a", codec: ["-c:a", "aac"], sampleRate: 48_000, channels: 6, codecName: "aac"),
        Case(testDescription: "fragmented MP4 (AAC)", file: "tone.mp4",
             codec: ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "1000000"],
             sampleRate: 44_100, channels: 2, codecName: "aac"),
    ]

    @Test("a 7.3 s tone is measured within 50 ms of its decoded length", arguments: cases)
    func measuredLikeTheDecoder(_ shape: Case) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(
            seconds: 7.3, sampleRate: shape.sampleRate, channels: shape.channels, codec: shape.codec, output: shape.file)

        let info = try AudioProbe().probe(fileAtPath: file)
        let decoded = try fixtures.decodedMilliseconds(of: file)

        #expect(abs(decoded - 7_300) <= 60, "the fixture itself is about 7.3 s (ffmpeg decodes \(decoded) ms)")
        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(info.audioStreams == [
            AudioStreamInfo(index: 0, codecName: shape.codecName, sampleRate: shape.sampleRate, channels: shape.channels),
        ])
        #expect(fixtures.openDescriptorCount() ?? 0 == 0, "the probe closed the file")
    }
}
