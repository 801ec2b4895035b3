import MediaStore
import Testing

@Suite struct MediaKeyTests {
    @Test(arguments: [
        "", "/uploads/a/source", "uploads//source", "uploads/a/", "uploads/../etc/passwd", "..", "uploads/./a",
        "uploads/a\u{0}b", "results/a\nb", "results/a\u{7f}", "uploads\\a", String(repeating: "a", count: 901),
    ])
    func refusesKeysThatCouldEscapeOrReadAmbiguously(_ key: String) {
        #expect {
            try MediaKey(key)
        } throws: { error in
            (error as? MediaStoreError)?.code == "invalid_key"
        }
    }

    @Test(arguments: ["uploads/0f3a/source", "results/job-7/dubbed.mp3", "uploads/ünï cødé~/a..b", "a"])
    func acceptsRelativeKeys(_ key: String) throws {
        let parsed = try MediaKey(key)
        #expect(parsed.path == key)
        #expect(parsed.segments.joined(separator: "/") == key)
    }
}
