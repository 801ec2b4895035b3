import Foundation
import Media
import Testing

/// The charge follows the packets a worker will decode, whatever the header claims.
@Suite(.timeLimit(.minutes(5))) struct LyingHeaderTests {
    @Test("a WebM whose Duration element claims 1 s is measured at its real 30 s")
    func headerClaimsLessThanThePackets() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let honest = try fixtures.tone(seconds: 30, sampleRate: 48_000, codec: ["-c:a", "libopus", "-b:a", "24k"], output: "honest.webm")
        let lying = try fixtures.write(try Self.patchingMatroskaDuration(of: honest, toMilliseconds: 1000), to: "lying.webm")

        let info = try AudioProbe().probe(fileAtPath: lying)
        let decoded = try fixtures.decodedMilliseconds(of: lying)

        #expect(info.headerDurationMilliseconds == 1000, "libavformat reports the patched header")
        #expect(abs(Double(info.durationMilliseconds) - decoded) <= 50, "measured \(info.durationMilliseconds) ms, decoded \(decoded) ms")
        #expect(abs(info.durationMilliseconds - 30_000) <= 50)
    }

    @Test("a WebM whose Duration element claims an hour is measured at its real 3 s")
    func headerClaimsMoreThanThePackets() throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let honest = try fixtures.tone(seconds: 3, sampleRate: 48_000, codec: ["-c:a", "libopus"], output: "honest.webm")
        let lying = try fixtures.write(try Self.patchingMatroskaDuration(of: honest, toMilliseconds: 3_600_000), to: "lying.webm")

        let info = try AudioProbe(maxDurationMilliseconds: 60_000).probe(fileAtPath: lying)

        #expect(info.headerDurationMilliseconds == 3_600_000)
        #expect(abs(info.durationMilliseconds - 3000) <= 50)
    }

    /// Rewrites the Segment Info Duration element (ID 0x4489, an 8-byte big-endian
    /// float in TimestampScale units, which ffmpeg writes as milliseconds).
    static func patchingMatroskaDuration(of file: String, toMilliseconds milliseconds: Double) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let marker: [UInt8] = [0x44, 0x89, 0x88]
        let start = try #require(
            bytes.indices.dropLast(marker.count + 8).first { bytes[$0..<$0 + marker.count].elementsEqual(marker) },
            "the WebM has a Duration element"
        )
        let value = milliseconds.bitPattern.bigEndian
        withUnsafeBytes(of: value) { bytes.replaceSubrange(start + 3..<start + 11, with: $0) }
        return bytes
    }
}
