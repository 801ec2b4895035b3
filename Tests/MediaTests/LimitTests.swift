import Foundation
import Media
import Testing

/// The duration limit and the work budget.
@Suite(.timeLimit(.minutes(5))) struct LimitTests {
    /// Twenty minutes of 8 kHz mono MP3 at 8 kbit/s: 1.2 MB, encoded in about a second.
    static func twentyMinutes(in fixtures: MediaFixtures) throws -> String {
        try fixtures.ffmpeg(
            ["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000:duration=1200", "-c:a", "libmp3lame", "-b:a", "8k"],
            output: "long.mp3"
        )
    }

    @Test("a 20-minute MP3 is measured within 50 ms of its decoded length")
    func measuresALongFile() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try Self.twentyMinutes(in: fixtures)

        let info = try AudioProbe().probe(fileAtPath: file)
        let decoded = try fixtures.decodedMilliseconds(of: file)

        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(abs(info.durationMilliseconds - 1_200_000) <= 50)
    }

    @Test("audio over the limit is refused with too_long")
    func refusesOverTheLimit() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try Self.twentyMinutes(in: fixtures)

        let error = try #require(throws: MediaError.self) {
            try AudioProbe(maxDurationMilliseconds: 600_000).probe(fileAtPath: file)
        }

        #expect(error.code == "too_long")
        #expect(!error.isNotAudio)
        #expect(error.message.contains("600.000 s"), "\(error.message)")
    }

    @Test("audio exactly at the limit is accepted, one millisecond more is not")
    func limitIsInclusive() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 2, sampleRate: 8000, codec: ["-c:a", "pcm_s16le"], output: "two.wav")

        #expect(try AudioProbe(maxDurationMilliseconds: 2000).probe(fileAtPath: file).durationMilliseconds == 2000)
        let error = try #require(throws: MediaError.self) {
            try AudioProbe(maxDurationMilliseconds: 1999).probe(fileAtPath: file)
        }
        #expect(error.code == "too_long")
    }

    @Test("a probe past its deadline stops with timeout")
    func timesOut() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 1, codec: ["-c:a", "pcm_s16le"], output: "one.wav")

        let error = try #require(throws: MediaError.self) {
            try AudioProbe(timeLimitSeconds: 0).probe(fileAtPath: file)
        }
        #expect(error.code == "timeout")
    }

    @Test("an infinite or NaN time limit is treated as a bound, not a crash", arguments: [Double.infinity, .nan, -1])
    func oddTimeLimits(_ seconds: Double) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 1, codec: ["-c:a", "pcm_s16le"], output: "one.wav")

        do {
            let info = try AudioProbe(timeLimitSeconds: seconds).probe(fileAtPath: file)
            #expect(seconds.isInfinite && info.durationMilliseconds == 1000)
        } catch {
            #expect(!seconds.isInfinite && error.code == "timeout", "\(error)")
        }
    }

    /// Demuxers differ in how they pass on a failed read (an error, or an early end
    /// of file); either way the probe must refuse rather than charge for what it read.
    @Test(
        "reading past the byte budget is refused, never measured short",
        arguments: [("five.wav", ["-c:a", "pcm_s16le"]), ("five.mp3", ["-c:a", "libmp3lame"]),
                    ("five.ogg", ["-c:a", "libopus"]), ("five.flac", ["-c:a", "flac"])]
    )
    func boundsBytesRead(_ format: (file: String, codec: [String])) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 30, codec: format.codec, output: format.file)

        let error = try #require(throws: MediaError.self) {
            try AudioProbe(maxBytesRead: 64 * 1024).probe(fileAtPath: file)
        }
        #expect(error.code == "corrupt")
        #expect(error.message.contains("65536 bytes"), "\(error.message)")
    }

    @Test("reading past the packet budget is refused")
    func boundsPacketCount() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: 5, codec: ["-c:a", "libmp3lame"], output: "five.mp3")

        let error = try #require(throws: MediaError.self) {
            try AudioProbe(maxPacketCount: 50).probe(fileAtPath: file)
        }
        #expect(error.code == "corrupt")
        #expect(error.message.contains("50 packets"), "\(error.message)")
    }
}
