import Foundation

/// Step 2: speech-to-text per prepared piece. Each piece's answer is saved as it
/// arrives, so a retry after a failure on piece 3 does not pay for pieces 1 and 2 again.
struct TranscribeStage: Sendable {
    let folder: WorkFolder
    let client: OpenAIClient
    let model: String

    /// All segments of the source, in source time, normalized.
    /// - Throws: `no_speech` when the provider hears nothing to dub.
    func run(
        pieces: [PreparedPiece],
        request: DubbingRequest,
        progress: ProgressReporter
    ) async throws(DubbingError) -> [Segment] {
        if let transcript = self.folder.readJSON([Segment].self, from: self.folder.transcriptFile) {
            return transcript
        }
        try self.folder.createFolder(self.folder.transcriptFolder)
        var segments: [Segment] = []
        for (index, piece) in pieces.enumerated() {
            try DubbingError.checkCancellation()
            let answerFile = self.folder.pieceTranscript(index)
            let transcription: OpenAIClient.Transcription
            if let saved = self.folder.readJSON(OpenAIClient.Transcription.self, from: answerFile) {
                transcription = saved
            } else {
                let audio = Data(try self.folder.readBytes("\(self.folder.preparedFolder)/\(piece.fileName)"))
                transcription = try await self.client.transcribe(
                    audio: audio, fileName: piece.fileName, model: self.model, language: request.sourceLanguage
                )
                try self.folder.writeJSON(transcription, to: answerFile)
            }
            for segment in transcription.segments {
                segments.append(Segment(
                    id: segments.count,
                    startMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.start),
                    endMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.end),
                    text: segment.text
                ))
            }
            await progress(.transcribe, Double(index + 1) / Double(pieces.count))
        }
        let transcript = Segment.normalized(segments, durationMilliseconds: request.durationMilliseconds)
        guard !transcript.isEmpty else {
            throw .noSpeech("no speech was found in the audio")
        }
        try self.folder.writeJSON(transcript, to: self.folder.transcriptFile)
        return transcript
    }

    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return 0 }
        return Int64((max(0, seconds) * 1000).rounded())
    }
}
