#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AurisTestSupport
import Foundation
import Media
import Testing

/// Files that are not acceptable audio are refused with the right code, quickly,
/// and without crashing the process.
@Suite(.timeLimit(.minutes(5))) struct RejectedFileTests {
    /// How a bad file is made, and the code it must be refused with.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var code: String
        var make: @Sendable (MediaFixtures) throws -> String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty file", code: "empty_file") { try $0.write([], to: "empty.mp3") },
        Case(name: "random bytes", code: "unknown_format") { fixtures in
            var generator = SplitMix64(seed: 42)
            return try fixtures.write((0..<65_536).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, to: "random.mp3")
        },
        Case(name: "text", code: "unknown_format") {
            try $0.write(Array("Bonjour, ceci est un fichier texte.\n".utf8), to: "notes.txt")
        },
        Case(name: "PNG image", code: "unknown_format") {
            try $0.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1"], output: "picture.png")
        },
        Case(name: "video-only MP4", code: "video_without_audio") {
            try $0.ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=1:size=64x64", "-c:v", "mpeg4"], output: "silent.mp4")
        },
        Case(name: "WAV cut mid-stream", code: "corrupt") { fixtures in
            let whole = try fixtures.tone(seconds: 3, codec: ["-c:a", "pcm_s16le"], output: "whole.wav")
            return try fixtures.write(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(100_001), to: "cut.wav")
        },
        Case(name: "M4A cut before its index", code: "corrupt") { fixtures in
            let whole = try fixtures.tone(seconds: 3, codec: ["-c:a", "aac"], output: "whole.m4a")
            return try fixtures.write(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(20_000), to: "cut.m4a")
        },
        Case(name: "M4A with its index first, cut in the audio", code: "corrupt") { fixtures in
            let whole = try fixtures.tone(seconds: 3, codec: ["-c:a", "aac", "-movflags", "+faststart"], output: "whole.m4a")
            return try fixtures.write(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(20_000), to: "cut.m4a")
        },
        Case(name: "WAV header without samples", code: "corrupt") { fixtures in
            let whole = try fixtures.tone(seconds: 1, codec: ["-c:a", "pcm_s16le"], output: "whole.wav")
            return try fixtures.write(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(44), to: "header.wav")
        },
        Case(name: "WAV with no samples", code: "invalid_duration") {
            try $0.ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "0", "-c:a", "pcm_s16le"], output: "nothing.wav")
        },
        Case(name: "a directory", code: "unreadable") { fixtures in
            let folder = fixtures.path("folder.wav")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            return folder
        },
        Case(name: "a missing file", code: "unreadable") { $0.path("missing.wav") },
        Case(name: "a named pipe without a writer", code: "unreadable") { fixtures in
            let pipe = fixtures.path("pipe.wav")
            guard mkfifo(pipe, 0o600) == 0 else { throw FixtureError("mkfifo failed") }
            return pipe
        },
    ]

    @Test("a bad file is refused with its code within two seconds", arguments: cases)
    func refuses(_ badFile: Case) throws {
        let fixtures = try MediaFixtures()
        defer { fixtures.remove() }
        let file = try badFile.make(fixtures)

        let clock = ContinuousClock()
        var refusal: MediaError?
        let elapsed = clock.measure {
            do throws(MediaError) {
                let info = try AudioProbe().probe(fileAtPath: file)
                Issue.record("accepted as \(info.durationMilliseconds) ms of \(info.formatName)")
            } catch {
                refusal = error
            }
        }

        let error = try #require(refusal)
        #expect(error.code == badFile.code, "\(error)")
        #expect(error.isNotAudio == ["unknown_format", "no_audio_stream"].contains(badFile.code))
        #expect(!error.message.isEmpty)
        #expect(elapsed < .seconds(2))
        #expect(fixtures.openDescriptorCount() ?? 0 == 0, "the probe closed the file")
    }
}
