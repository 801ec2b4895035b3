import Billing
import Foundation
@testable import Media
import Testing

/// Every accepted container with the codecs it carries, at every common sample rate,
/// mono and stereo: measured within 50 ms of what ffmpeg decodes, and never charged for
/// more than the decoded length.
///
/// The files are made here with the ffmpeg command line (2.3 s each, in a temporary
/// folder); an encoder that cannot take a rate gets the nearest it can (ffmpeg picks it),
/// which is what an upload from that encoder would be too.
@Suite(.timeLimit(.minutes(10))) struct SampleRateMatrixTests {
    struct Format: Sendable, CustomTestStringConvertible {
        var container: String
        var codec: [String]
        /// Rates the muxer refuses for this codec, so no such upload exists.
        var refusedRates: Set<Int> = []
        var testDescription: String { "\(container) \(codec[1])" }
    }

    static let formats: [Format] = [
        Format(container: "wav", codec: ["-c:a", "pcm_s16le"]),
        Format(container: "wav", codec: ["-c:a", "pcm_mulaw"]),
        Format(container: "w64", codec: ["-c:a", "pcm_s16le"]),
        Format(container: "aiff", codec: ["-c:a", "pcm_s16be"]),
        Format(container: "caf", codec: ["-c:a", "alac"]),
        Format(container: "mp3", codec: ["-c:a", "libmp3lame", "-b:a", "64k"]),
        Format(container: "aac", codec: ["-c:a", "aac", "-b:a", "64k"]),
        Format(container: "ac3", codec: ["-c:a", "ac3"]),
        Format(container: "eac3", codec: ["-c:a", "eac3"]),
        Format(container: "flac", codec: ["-c:a", "flac"]),
        Format(container: "ogg", codec: ["-c:a", "libopus", "-b:a", "32k"]),
        Format(container: "ogg", codec: ["-c:a", "libvorbis"]),
        Format(container: "ogg", codec: ["-c:a", "flac"]),
        Format(container: "oga", codec: ["-c:a", "libspeex"]),
        Format(container: "wv", codec: ["-c:a", "wavpack"]),
        Format(container: "m4a", codec: ["-c:a", "aac", "-b:a", "64k"]),
        Format(container: "m4a", codec: ["-c:a", "alac"]),
        Format(container: "mp4", codec: ["-c:a", "libmp3lame"], refusedRates: [8_000]),
        Format(container: "mp4", codec: ["-c:a", "libopus"]),
        Format(container: "mov", codec: ["-c:a", "aac"]),
        Format(container: "mka", codec: ["-c:a", "libopus"]),
        Format(container: "mka", codec: ["-c:a", "libvorbis"]),
        Format(container: "mka", codec: ["-c:a", "flac"]),
        Format(container: "mka", codec: ["-c:a", "aac"]),
        Format(container: "mka", codec: ["-c:a", "libmp3lame"]),
        Format(container: "webm", codec: ["-c:a", "libopus", "-b:a", "32k"]),
        Format(container: "webm", codec: ["-c:a", "libvorbis"]),
        Format(container: "wma", codec: ["-c:a", "wmav2"]),
        Format(container: "avi", codec: ["-c:a", "libmp3lame"]),
        Format(container: "avi", codec: ["-c:a", "pcm_s16le"]),
        Format(container: "flv", codec: ["-c:a", "aac"]),
        Format(container: "ts", codec: ["-c:a", "aac"]),
        Format(container: "ts", codec: ["-c:a", "mp2"]),
        Format(container: "mpg", codec: ["-c:a", "ac3"]),
    ]

    static let sampleRates = [8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000]

    @Test(arguments: formats, sampleRates)
    func measuredLikeTheDecoderAndNeverChargedMore(_ format: Format, sampleRate: Int) throws {
        guard !format.refusedRates.contains(sampleRate) else { return }
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        for channels in [1, 2] {
            let file = try fixtures.tone(
                seconds: 2.3, sampleRate: sampleRate, channels: channels, codec: format.codec,
                output: "tone-\(channels).\(format.container)")
            let measured = try AudioProbe().probe(fileAtPath: file).durationMilliseconds
            let decoded = try fixtures.decodedMilliseconds(of: file)
            let shape = "\(sampleRate) Hz, \(channels) channel(s): measured \(measured) ms, decoded \(decoded) ms"

            #expect(abs(Double(measured) - decoded) <= 50, "\(shape)")
            // Never more than the decoded length, beyond the rounding to whole
            // milliseconds: a file just under a credit's length is not charged two.
            #expect(Double(measured) <= decoded.rounded(.up) + 1, "\(shape)")
            #expect(
                CreditPricing.credits(forDurationMilliseconds: measured)
                    <= CreditPricing.credits(forDurationMilliseconds: Int64(decoded.rounded(.up))), "\(shape)")
        }
    }
}
