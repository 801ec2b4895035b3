@testable import API
import AurisTestSupport
import NIOCore
import Testing

/// The upload parser: the same parts whatever the chunking, bodies with delimiter look-alikes
/// kept byte for byte, and any byte sequence either parsed or refused, never a trap (the
/// multipart-kit parser it replaces trapped on a header-name byte ≥ 0x80).
@Suite struct MultipartFormParserTests {
    /// What a body parses to: its parts (headers and body bytes), whether it closed, or the
    /// refusal's reason.
    struct Outcome: Equatable {
        var parts: [Part] = []
        var isComplete = false
        var refusal: String?
    }

    struct Part: Equatable {
        var headers: [String] = []
        var body: [UInt8] = []
        var ended = false
    }

    static func parse(_ body: [UInt8], boundary: String = "b0und", chunkSizes: [Int] = [Int.max]) -> Outcome {
        var parser = MultipartFormParser(boundary: boundary, maxHeaderLineBytes: 256)
        var outcome = Outcome()
        var current = Part()
        var offset = 0
        var sizeIndex = 0
        do {
            while offset < body.count {
                let size = min(chunkSizes[sizeIndex % chunkSizes.count], body.count - offset)
                sizeIndex += 1
                try parser.execute(ByteBuffer(bytes: body[offset..<(offset + size)])) { event in
                    switch event {
                    case .header(let name, let value): current.headers.append("\(name)=\(value)")
                    case .body(let bytes): current.body += Array(bytes.readableBytesView)
                    case .partEnd:
                        current.ended = true
                        outcome.parts.append(current)
                        current = Part()
                    }
                }
                offset += size
            }
        } catch let malformed as MultipartFormParser.Malformed {
            outcome.refusal = malformed.reason
            return outcome
        } catch {
            Issue.record("unexpected \(error)")
        }
        if current != Part() { outcome.parts.append(current) }
        outcome.isComplete = parser.isComplete
        return outcome
    }

    static let tricky: [UInt8] = Array(
        ("preamble\r\n--b0un\r\n--b0und\r\nContent-Disposition: form-data; name=\"file\"\r\nContent-Type:  audio/wav \r\n\r\n"
            + "\r\r\n\r\n-\r\n--\r\n--b0un\r\n--b0unx--b0und\r"
            + "\r\n--b0und\r\nContent-Disposition: form-data; name=\"target_language\"\r\n\r\nfr"
            + "\r\n--b0und--\r\nepilogue \r\n--b0und\r\n").utf8)

    @Test("parts, headers and bodies with delimiter look-alikes come out byte for byte")
    func trickyBody() {
        let outcome = Self.parse(Self.tricky)
        #expect(outcome.refusal == nil)
        #expect(outcome.isComplete)
        #expect(outcome.parts.count == 2)
        #expect(outcome.parts.first?.headers == ["Content-Disposition=form-data; name=\"file\"", "Content-Type=audio/wav"])
        #expect(outcome.parts.first?.body == Array("\r\r\n\r\n-\r\n--\r\n--b0un\r\n--b0unx--b0und\r".utf8))
        #expect(outcome.parts.last?.body == Array("fr".utf8))
    }

    @Test("every chunking gives the same parts, down to one byte at a time")
    func chunkingIsInvisible() {
        let whole = Self.parse(Self.tricky)
        for sizes in [[1], [2], [3], [7], [1, 13], [5, 1, 2], [64]] {
            #expect(Self.parse(Self.tricky, chunkSizes: sizes) == whole, "chunks of \(sizes)")
        }
    }

    @Test("a first delimiter after a CRLF, with transport padding, still opens the first part")
    func leadingCRLFAndPadding() {
        let outcome = Self.parse(Array("\r\n--b0und \t\r\nA: 1\r\n\r\nx\r\n--b0und--".utf8))
        #expect(outcome.parts == [Part(headers: ["A=1"], body: Array("x".utf8), ended: true)])
        #expect(outcome.isComplete)
    }

    @Test("a body that stops before its closing delimiter is not complete")
    func truncated() {
        for body in ["--b0und\r\nA: 1\r\n\r\nxyz", "--b0und\r\nA: 1\r\n\r\nxyz\r\n--b0und\r\n", "--b0und\r\nA: 1\r\n\r\nxyz\r\n--b0und-"] {
            let outcome = Self.parse(Array(body.utf8))
            #expect(outcome.refusal == nil)
            #expect(!outcome.isComplete, "\(body.debugDescription)")
        }
    }

    @Test("a header name with bytes outside the token set is refused, not a trap", arguments: [
        [0xC2, 0xB9], [0xFF], [0x80], [0x7F], [0x00], [UInt8(ascii: "(")], [UInt8(ascii: " ")],
    ] as [[UInt8]])
    func badHeaderName(bytes: [UInt8]) {
        let body = Array("--b0und\r\nrk".utf8) + bytes + Array(": v\r\n\r\nx\r\n--b0und--\r\n".utf8)
        #expect(Self.parse(body).refusal == "a part header line is not `name: value`")
    }

    @Test("the request that took the server down is refused")
    func schemathesisBody() {
        let body: [UInt8] = Array("--589c3e975b638333a5a84ac3015e1f7c\r\nrk".utf8)
            + [0xC2, 0xB9, 0x62, 0xF1, 0x8C, 0x9F, 0xB8, 0xC3, 0x9E, 0xF3, 0xA9, 0xBD, 0x8C]
            + Array("--589c3e975b638333a5a84ac3015e1f7c--\r\n".utf8)
        let outcome = Self.parse(body, boundary: "589c3e975b638333a5a84ac3015e1f7c")
        #expect(outcome.refusal != nil)
        #expect(outcome.parts.isEmpty)
    }

    @Test("a header line longer than the limit is refused once it reaches it")
    func longHeaderLine() {
        let body = Array("--b0und\r\nA: ".utf8) + [UInt8](repeating: 0x41, count: 300)
        #expect(Self.parse(body, chunkSizes: [17]).refusal == "a part's header line is longer than 256 bytes")
    }

    @Test("stray bytes on a delimiter line, a bare CR in a header line, a header without a colon are refused", arguments: [
        "--b0undx\r\n", "--b0und -\r\n", "--b0und\rA: 1\r\n", "--b0und\r\nA: 1\rB\r\n", "--b0und\r\nnocolon\r\n\r\n", "--b0und\r\n: v\r\n",
    ])
    func malformedFraming(body: String) {
        #expect(Self.parse(Array(body.utf8)).refusal != nil, "\(body.debugDescription)")
    }

    @Test("boundaries are RFC 2046's bchars, 1 to 70 of them, not ending in a space")
    func boundaries() {
        for good in ["b", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "------------------------d74496d66958873e", "a'()+_,-./:=? z"] {
            #expect(MultipartFormParser.isValidBoundary(good), "\(good)")
        }
        for bad in ["", "a\r\nb", "ends ", String(repeating: "x", count: 71), "caf\u{E9}", "semi;colon", "quote\""] {
            #expect(!MultipartFormParser.isValidBoundary(bad), "\(bad.debugDescription)")
        }
    }

    @Test("random bytes, in random chunks, are parsed or refused the same way as whole, never a trap")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5EED_F00D)
        // Bytes a delimiter and header lines are made of, so the walk reaches every state.
        let alphabet = Array("\r\n-b0und:A ".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xFF]
        for round in 0..<3_000 {
            let length = generator.next(upTo: 96)
            var body = Array("--b0und\r\n".utf8).prefix(generator.next(upTo: 10))
            for _ in 0..<length { body.append(alphabet[generator.next(upTo: alphabet.count)]) }
            let sizes = (0..<3).map { _ in 1 + generator.next(upTo: 9) }
            let whole = Self.parse(Array(body))
            #expect(Self.parse(Array(body), chunkSizes: sizes) == whole, "round \(round): \(Array(body)) in \(sizes)")
        }
    }
}
