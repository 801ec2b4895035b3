import AurisTestSupport
import Foundation
import Media
import Testing

@testable import Dubbing

/// The prepare step cuts the upload into mono 16 kHz MP3 pieces under the provider's
/// limit, in-process, at exact offsets.
@Suite(.timeLimit(.minutes(5))) struct PrepareStageTests {
    /// 12 s: silence, then a tone from 7 s on, so a piece's offset can be checked
    /// against where the tone starts inside it.
    static func silenceThenTone(at path: String) async throws -> String {
        try await FFmpegTool.ffmpeg([
            "-f", "lavfi", "-i", "aevalsrc='if(lt(t,7),0,0.25*sin(2*PI*440*t))|if(lt(t,7),0,0.25*sin(2*PI*440*t))':s=44100:d=13",
            "-af", "atrim=end_sample=\(12 * 44_100)", path,
        ])
        return path
    }

    /// Where a file's audio first rises above silence, in milliseconds, as the pipeline's
    /// own decoder hands it over.
    static func onsetMilliseconds(of path: String) async throws -> Int64? {
        try await CodecStop.run(timeLimitSeconds: 60) { stop throws(AudioCodecError) in
            var seen: Int64 = 0
            var onset: Int64?
            try AudioDecoder(sampleRate: 16_000).decode(fileAtPath: path, stop: stop) { samples in
                if onset == nil, let index = samples.firstIndex(where: { abs(Int32($0)) > 1_000 }) {
                    onset = seen + Int64(index)
                }
                seen += Int64(samples.count)
            }
            return onset.map { $0 / 16 }
        }
    }

    /// The stage over the folder's `work/`, with the provider's limit unless told.
    static func stage(in folder: TemporaryDirectory, maxPieceBytes: Int = 24 << 20) -> PrepareStage {
        PrepareStage(folder: WorkFolder(path: folder.appending("work")), maxPieceBytes: maxPieceBytes, ffmpegTimeoutSeconds: 60)
    }

    @Test func aLongSourceIsCutIntoPiecesAtExactOffsets() async throws {
        let folder = try TemporaryDirectory("auris-prepare")
        defer { folder.remove() }
        let source = try await Self.silenceThenTone(at: folder.appending("source.wav"))
        // 48,889 bytes hold 5.5 s at 64 kbit/s with a tenth spare: 12 s make three pieces of 4.5 s at most.
        let stage = Self.stage(in: folder, maxPieceBytes: 48_889)
        let pieces = try await stage.run(sourcePath: source, durationMilliseconds: 12_000)

        #expect(pieces.map(\.fileName) == ["piece000.mp3", "piece001.mp3", "piece002.mp3"])
        #expect(pieces.map(\.offsetMilliseconds) == [0, 4_500, 9_000])
        var total: Int64 = 0
        for piece in pieces {
            let path = folder.appending("work/prepared/\(piece.fileName)")
            let info = try AudioProbe().probe(fileAtPath: path)
            #expect(info.sizeBytes <= 48_889)
            #expect(info.audioStreams.map(\.codecName) == ["mp3"])
            #expect(info.audioStreams.first?.sampleRate == 16_000 && info.audioStreams.first?.channels == 1)
            total += info.durationMilliseconds
        }
        // No audio lost or repeated at the cuts.
        #expect(abs(total - 12_000) <= 5, "pieces last \(total) ms")
        // The tone starts at 7 s: 2.5 s into the second piece, at the start of the third.
        #expect(try await Self.onsetMilliseconds(of: folder.appending("work/prepared/piece000.mp3")) == nil)
        let second = try #require(try await Self.onsetMilliseconds(of: folder.appending("work/prepared/piece001.mp3")))
        #expect(abs(pieces[1].offsetMilliseconds + second - 7_000) <= 5, "tone at \(second) ms in the second piece")
        let third = try #require(try await Self.onsetMilliseconds(of: folder.appending("work/prepared/piece002.mp3")))
        #expect(third <= 5)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("work/prepared.partial")))
    }

    @Test func aRetryTakesThePiecesAlreadyPrepared() async throws {
        let folder = try TemporaryDirectory("auris-prepare")
        defer { folder.remove() }
        let source = try await Tone(seconds: 3).write(to: folder.appending("source.wav"))
        let stage = Self.stage(in: folder)
        let first = try await stage.run(sourcePath: source, durationMilliseconds: 3_000)
        #expect(first == [PreparedPiece(fileName: "piece000.mp3", offsetMilliseconds: 0)])
        // The source is gone: only the saved pieces can answer.
        try FileManager.default.removeItem(atPath: source)
        #expect(try await stage.run(sourcePath: source, durationMilliseconds: 3_000) == first)
    }

    @Test func anUndecodableSourceIsInvalidAudio() async throws {
        let folder = try TemporaryDirectory("auris-prepare")
        defer { folder.remove() }
        let source = try folder.write("this is not audio", to: "source.mp3")
        let stage = Self.stage(in: folder)
        let error = await #expect(throws: DubbingError.self) { try await stage.run(sourcePath: source, durationMilliseconds: 3_000) }
        #expect(error?.code == "invalid_audio")
        #expect(error?.isTransient == false)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("work/prepared")))
    }

    @Test func aSourceTooShortToHoldSpeechIsInvalidAudio() async throws {
        let folder = try TemporaryDirectory("auris-prepare")
        defer { folder.remove() }
        let source = try await Tone(seconds: 0.1).write(to: folder.appending("source.wav"))
        let stage = Self.stage(in: folder)
        let error = await #expect(throws: DubbingError.self) { try await stage.run(sourcePath: source, durationMilliseconds: 100) }
        #expect(error?.code == "invalid_audio")
    }
}
