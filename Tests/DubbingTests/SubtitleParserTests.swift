import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct SubtitleParserTests {
    private func parse(_ text: String) throws -> [Segment] {
        try SubtitleParser().parse(Array(text.utf8))
    }

    private func error(_ text: String) -> DubbingError? {
        #expect(throws: DubbingError.self) { try self.parse(text) }
    }

    @Test func readsSRT() throws {
        let segments = try self.parse("""
            1
            00:00:01,000 --> 00:00:02,500
            Hello
            world

            2
            00:01:02,040 --> 01:00:03,5
            <b>Bold</b> &amp; {\\an8}bright
            """)
        #expect(segments == [
            Segment(id: 0, startMilliseconds: 1_000, endMilliseconds: 2_500, text: "Hello world"),
            Segment(id: 1, startMilliseconds: 62_040, endMilliseconds: 3_603_500, text: "Bold & bright"),
        ])
    }

    @Test func toleratesBOMCRLFMissingNumbersAndStrayBlankLines() throws {
        let text = "\u{FEFF}00:00:01.000 --> 00:00:02.000\r\nFirst\r\n\r\nstill first\r\n\r\n\r\n3\r\n00:00:03,000 --> 00:00:04,000\r\nSecond\r\n"
        let segments = try self.parse(text)
        #expect(segments.map(\.text) == ["First still first", "Second"])
        #expect(segments.map(\.startMilliseconds) == [1_000, 3_000])
        let cramped = try self.parse("1\n00:00:05,000-->00:00:06,000\tX1:40\nCramped\n")
        #expect(cramped == [Segment(id: 0, startMilliseconds: 5_000, endMilliseconds: 6_000, text: "Cramped")])
    }

    @Test func readsWebVTT() throws {
        let segments = try self.parse("""
            WEBVTT - a title
            Kind: captions

            NOTE a comment
            that spans lines

            STYLE
            ::cue { color: red }

            intro
            00:01.000 --> 00:02.000 align:start position:10%
            <v Roger>Hi <c.loud>there</c></v>

            00:00:03.250 --> 00:00:04.000
            Bye
            """)
        #expect(segments.map(\.text) == ["Hi there", "Bye"])
        #expect(segments.map(\.startMilliseconds) == [1_000, 3_250])
        #expect(segments.map(\.endMilliseconds) == [2_000, 4_000])
    }

    @Test func refusesMalformedInput() {
        #expect(self.error("")?.code == "invalid_subtitles")
        #expect(self.error("just some text\n")?.message.contains("line 1") == true)
        #expect(self.error("1\n00:00:01,000 -> 00:00:02,000\nArrow\n") != nil)
        #expect(self.error("1\n00:00:61,000 --> 00:00:62,000\nSixty-one seconds\n") != nil)
        #expect(self.error("1\n00:00:02,000 --> 00:00:01,000\nBackwards\n")?.message.contains("ends before") == true)
        #expect(self.error("1\n25:00:00,000 --> 25:00:01,000\nTomorrow\n") != nil)
        #expect(self.error("1\n00:00:01,0000 --> 00:00:02,000\nToo precise\n") != nil)
        #expect(self.error("1\n2\n00:00:01,000 --> 00:00:02,000\nTwo numbers\n") != nil)
        #expect(self.error("WEBVTT\n\nnot a cue\n") != nil)
        #expect(throws: DubbingError.self) { try SubtitleParser().parse([0x31, 0x0A, 0xFF, 0xFE]) }
    }

    @Test func enforcesItsLimits() {
        let cue = "00:00:01,000 --> 00:00:02,000\nText\n\n"
        #expect(throws: DubbingError.self) {
            try SubtitleParser(maxCues: 3).parse(Array(String(repeating: cue, count: 4).utf8))
        }
        let long = "00:00:01,000 --> 00:00:02,000\n" + String(repeating: "a", count: 2_001) + "\n"
        #expect(self.error(long)?.message.contains("longer than") == true)
        #expect(throws: DubbingError.self) { try SubtitleParser(maxBytes: 10).parse(Array(cue.utf8)) }
    }
}
