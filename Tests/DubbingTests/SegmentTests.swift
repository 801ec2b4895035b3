import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct SegmentTests {
    @Test func normalizationSortsJoinsCutsAndClamps() {
        let segments = [
            Segment(id: 0, startMilliseconds: 5_000, endMilliseconds: 7_000, text: "  third "),
            Segment(id: 1, startMilliseconds: 1_000, endMilliseconds: 6_000, text: "first"),
            Segment(id: 2, startMilliseconds: 1_000, endMilliseconds: 2_000, text: "and more"),
            Segment(id: 3, startMilliseconds: 3_000, endMilliseconds: 4_000, text: "   "),
            Segment(id: 4, startMilliseconds: 9_500, endMilliseconds: 12_000, text: "past the end"),
            Segment(id: 5, startMilliseconds: 8_000, endMilliseconds: 12_000, text: "last"),
        ]
        let normalized = Segment.normalized(segments, durationMilliseconds: 9_000)
        #expect(normalized == [
            Segment(id: 0, startMilliseconds: 1_000, endMilliseconds: 5_000, text: "first and more"),
            Segment(id: 1, startMilliseconds: 5_000, endMilliseconds: 7_000, text: "third"),
            Segment(id: 2, startMilliseconds: 8_000, endMilliseconds: 9_000, text: "last"),
        ])
    }

    @Test func longTextIsSplitAtSentencesWithoutLosingWords() {
        let sentence = "This sentence is about forty characters. "
        let text = String(repeating: sentence, count: 30)
        let parts = TextSplitter.split(text, maxCharacters: 200)
        #expect(parts.allSatisfy { $0.count <= 200 })
        #expect(parts.allSatisfy { $0.hasSuffix(".") })
        #expect(parts.joined(separator: " ").split(separator: " ") == text.split(separator: " "))
        // A text with no break at all is still cut to size.
        let unbroken = TextSplitter.split(String(repeating: "x", count: 450), maxCharacters: 200)
        #expect(unbroken.map(\.count) == [200, 200, 50])
        #expect(TextSplitter.split("  short  ", maxCharacters: 200) == ["short"])
    }

    @Test func translationsMustAnswerEveryIdOnce() throws {
        typealias Line = OpenAIClient.TranslationLine
        let asked = [Line(id: 1, text: "a"), Line(id: 2, text: "b")]
        let answered = try OpenAIClient.matched([Line(id: 2, text: "B"), Line(id: 1, text: "A")], to: asked)
        #expect(answered == [Line(id: 1, text: "A"), Line(id: 2, text: "B")])
        #expect(throws: DubbingError.self) { try OpenAIClient.matched([Line(id: 1, text: "A")], to: asked) }
        #expect(throws: DubbingError.self) {
            try OpenAIClient.matched([Line(id: 1, text: "A"), Line(id: 1, text: "A"), Line(id: 2, text: "B")], to: asked)
        }
        #expect(throws: DubbingError.self) {
            try OpenAIClient.matched([Line(id: 1, text: "A"), Line(id: 2, text: "B"), Line(id: 3, text: "C")], to: asked)
        }
    }

    @Test func translationBatchesRespectCountAndSize() {
        let stage = TranslateStage(
            folder: WorkFolder(path: "/nonexistent"),
            client: OpenAIClient(baseURL: "http://127.0.0.1:9/v1", apiKey: "k", logger: testLogger, requestTimeoutSeconds: 1, transcriptionTimeoutSeconds: 1),
            model: "m", batchSegments: 3, batchCharacters: 10
        )
        let segments = (0..<7).map { Segment(id: $0, startMilliseconds: Int64($0) * 1000, endMilliseconds: Int64($0) * 1000 + 500, text: $0 == 4 ? "a long line here" : "ab") }
        #expect(stage.batches(of: segments).map { $0.map(\.id) } == [[0, 1, 2], [3], [4], [5, 6]])
    }

    @Test func progressGrowsAcrossStages() {
        #expect(DubbingStage.prepare.overallProgress(0) == 0)
        #expect(DubbingStage.assemble.overallProgress(1) == 1)
        #expect(DubbingStage.synthesize.overallProgress(0) == DubbingStage.translate.overallProgress(1))
        #expect(DubbingStage.transcribe.overallProgress(0.5) < DubbingStage.translate.overallProgress(0))
    }
}
