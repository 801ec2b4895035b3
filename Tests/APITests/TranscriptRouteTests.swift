import API
import AurisTestSupport
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MediaStore
import Queue
import Testing

/// `GET /api/dub/{id}/transcript`: JSON, SRT and WebVTT per speaker, readable by a real
/// subtitle reader (ffmpeg); 404, 409, 410 and 422 with stable codes.
@Suite(.timeLimit(.minutes(5))) struct TranscriptRouteTests {
    static let transcript = DubbingTranscript(
        sourceLanguage: "en", targetLanguage: "fr", hasSourceText: true,
        lines: [
            .init(startMilliseconds: 500, endMilliseconds: 2_000, speaker: "A", voice: "alloy", sourceText: "Are you coming?",
                  targetText: "Tu viens ?"),
            .init(startMilliseconds: 2_500, endMilliseconds: 4_000, speaker: "B", voice: "onyx", sourceText: "Yes & <now>!",
                  targetText: "Oui & <maintenant> !"),
            .init(startMilliseconds: 3_661_001, endMilliseconds: 3_662_500, speaker: "A", voice: "alloy", sourceText: "Bye.",
                  targetText: "Salut."),
        ])

    /// Claims the job, stores `transcript` as the worker does, and succeeds it.
    static func succeed(_ id: String, _ harness: APIHarness, transcript: DubbingTranscript = transcript) async throws {
        let claimed = try #require(try await harness.queue.claim(owner: "w"))
        #expect(claimed.id == id)
        let file = harness.store.directory.appending("transcript-\(id).json")
        try transcript.encoded().write(to: URL(fileURLWithPath: file))
        try await harness.configuration.media.put(
            fileAtPath: file, as: .transcript(jobID: id), sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: file))
        try Data("mp3".utf8).write(to: URL(fileURLWithPath: file))
        try await harness.configuration.media.put(
            fileAtPath: file, as: .result(jobID: id, fileExtension: "mp3"), sha256Hex: try FileDigest.sha256Hex(ofFileAtPath: file))
        _ = try await harness.queue.succeed(claimed.claim)
    }

    /// The cues ffmpeg reads from `text`, as `start,end,text` of its ASS output.
    static func cuesReadByFFmpeg(_ text: String, ext: String, in folder: String) async throws -> [String] {
        let input = folder + "/transcript." + ext
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let ass = String(decoding: try await FFmpegTool.ffmpeg(["-v", "error", "-i", input, "-f", "ass", "pipe:1"]), as: UTF8.self)
        return ass.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("Dialogue:") }.map { line in
            let fields = line.split(separator: ",", maxSplits: 9, omittingEmptySubsequences: false)
            return [fields[1], fields[2], fields[9]].joined(separator: ",")
        }
    }

    @Test func servesJSONSRTAndVTTPerSpeaker() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let id = try await JobRoutesTests.accept(client, harness)
            let early = try await client.get("/api/dub/\(id)/transcript", as: harness.alice)
            #expect(early.status == .conflict)
            #expect(try early.errorCode() == "transcript_not_ready")
            try await Self.succeed(id, harness)

            let status = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            #expect(status["transcript_url"] as? String == "http://auris.test/api/dub/\(id)/transcript")

            let json = try await client.get("/api/dub/\(id)/transcript", as: harness.alice)
            #expect(json.status == .ok && json.headers[.contentType] == "application/json")
            #expect(try JSONDecoder().decode(DubbingTranscript.self, from: Data(json.body.readableBytesView)) == Self.transcript)
            let lines = try #require(try json.json()["lines"] as? [[String: Any]])
            #expect(lines.first?["speaker"] as? String == "A" && lines.first?["start_ms"] as? Int == 500)

            let srt = try await client.get("/api/dub/\(id)/transcript?format=srt", as: harness.alice)
            #expect(srt.status == .ok && srt.headers[.contentType] == "application/x-subrip; charset=utf-8")
            let srtText = String(buffer: srt.body)
            #expect(srtText.contains("01:01:01,001 --> 01:01:02,500\n[A] Salut."))
            #expect(try await Self.cuesReadByFFmpeg(srtText, ext: "srt", in: harness.store.directory.path) == [
                "0:00:00.50,0:00:02.00,[A] Tu viens ?",
                "0:00:02.50,0:00:04.00,[B] Oui & ‹maintenant› !",
                "1:01:01.00,1:01:02.50,[A] Salut.",
            ])

            let vtt = try await client.get("/api/dub/\(id)/transcript?format=vtt&lang=source", as: harness.alice)
            #expect(vtt.status == .ok && vtt.headers[.contentType] == "text/vtt; charset=utf-8")
            let vttText = String(buffer: vtt.body)
            #expect(vttText.hasPrefix("WEBVTT\n\n"))
            #expect(vttText.contains("<v B>Yes &amp; &lt;now&gt;!"))
            let vttCues = try await Self.cuesReadByFFmpeg(vttText, ext: "vtt", in: harness.store.directory.path)
            #expect(vttCues == [
                "0:00:00.50,0:00:02.00,Are you coming?",
                "0:00:02.50,0:00:04.00,Yes & <now>!",
                "1:01:01.00,1:01:02.50,Bye.",
            ])
        }
    }

    @Test func refusalsHaveStableCodes() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let missing = try await client.get("/api/dub/dub_missing/transcript", as: harness.alice)
            #expect(missing.status == .notFound)
            #expect(try missing.errorCode() == "not_found")

            let id = try await JobRoutesTests.accept(client, harness)
            // A subtitle upload: the cues were already in the target language.
            var subtitled = Self.transcript
            subtitled.hasSourceText = false
            try await Self.succeed(id, harness, transcript: subtitled)
            let otherAccount = try await client.get("/api/dub/\(id)/transcript", as: harness.bob)
            #expect(otherAccount.status == .notFound)
            let badFormat = try await client.get("/api/dub/\(id)/transcript?format=ass", as: harness.alice)
            #expect(badFormat.status == .badRequest)
            #expect(try badFormat.errorCode() == "invalid_request")
            let badLanguage = try await client.get("/api/dub/\(id)/transcript?lang=de", as: harness.alice)
            #expect(badLanguage.status == .badRequest)
            #expect(try badLanguage.errorCode() == "invalid_request")
            let source = try await client.get("/api/dub/\(id)/transcript?lang=source&format=srt", as: harness.alice)
            #expect(source.status == .unprocessableContent)
            #expect(try source.errorCode() == "no_source_transcript")
            let target = try await client.get("/api/dub/\(id)/transcript?lang=target&format=srt", as: harness.alice)
            #expect(target.status == .ok)

            try await harness.configuration.media.deleteResult(jobID: id, fileExtension: "mp3")
            let gone = try await client.get("/api/dub/\(id)/transcript", as: harness.alice)
            #expect(gone.status == .gone)
            #expect(try gone.errorCode() == "transcript_expired")
        }
    }
}
