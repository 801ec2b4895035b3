import Billing
import Media
import Testing

/// Lossless files have exact sample counts, so the credit edges are exact: a
/// customer is charged for 10.00 s as 1 credit and for 10.01 s as 2.
@Suite(.timeLimit(.minutes(5))) struct CreditEdgeTests {
    @Test(
        "lengths around ten seconds cost the credits of their exact length",
        arguments: [("wav", ["-c:a", "pcm_s16le"]), ("flac", ["-c:a", "flac"])],
        [(9.99, Int64(9_990), Int64(1)), (10.00, 10_000, 1), (10.01, 10_010, 2)]
    )
    func creditEdges(format: (String, [String]), length: (seconds: Double, milliseconds: Int64, credits: Int64)) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try fixtures.tone(seconds: length.seconds, sampleRate: 48_000, codec: format.1, output: "edge.\(format.0)")

        let info = try AudioProbe().probe(fileAtPath: file)

        #expect(try fixtures.decodedMilliseconds(of: file) == Double(length.milliseconds), "the fixture itself is exact")
        #expect(info.durationMilliseconds == length.milliseconds)
        #expect(CreditPricing.credits(forDurationMilliseconds: info.durationMilliseconds) == length.credits)
    }
}
