import Foundation

/// Step 2: speech-to-text per prepared piece. Each piece's answer is saved as it
/// arrives, so a retry after a failure on piece 3 does not pay for pieces 1 and 2 again.
/// With `speakers=auto` the diarizing model labels each line with its speaker, and
/// `SpeakerLabels` keeps one label per person across the pieces.
struct TranscribeStage: Sendable {
    let folder: WorkFolder
    let client: OpenAIClient
    let model: String
    let diarizeModel: String
    let ffmpegTimeoutSeconds: Double

    /// All segments of the source, in source time, normalized.
    /// - Throws: `no_speech` when the provider hears nothing to dub; `diarization_refused`
    ///   when the diarizing model refuses a piece.
    func run(
        pieces: [PreparedPiece],
        request: DubbingRequest,
        progress: ProgressReporter
    ) async throws(DubbingError) -> [Segment] {
        if let transcript = self.folder.readJSON([Segment].self, from: self.folder.transcriptFile) {
            return transcript
        }
        try self.folder.createFolder(self.folder.transcriptFolder)
        let diarize = request.speakers == .auto
        var speakers = SpeakerLabels(folder: self.folder, ffmpegTimeoutSeconds: self.ffmpegTimeoutSeconds)
        var segments: [Segment] = []
        for (index, piece) in pieces.enumerated() {
            try DubbingError.checkCancellation()
            let answerFile = self.folder.pieceTranscript(index)
            let piecePath = "\(self.folder.preparedFolder)/\(piece.fileName)"
            let transcription: OpenAIClient.Transcription
            if let saved = self.folder.readJSON(OpenAIClient.Transcription.self, from: answerFile) {
                transcription = saved
            } else {
                let audio = Data(try self.folder.readBytes(piecePath))
                if diarize {
                    transcription = try await self.diarized(audio, piece: piece, request: request, known: speakers.knownSpeakers())
                } else {
                    transcription = try await self.client.transcribe(
                        audio: audio, fileName: piece.fileName, model: self.model, language: request.sourceLanguage
                    )
                }
                try self.folder.writeJSON(transcription, to: answerFile)
            }
            let labels: [String?] = diarize
                ? try await speakers.assign(transcription.segments, piecePath: piecePath)
                : transcription.segments.map { _ in nil }
            for (segment, speaker) in zip(transcription.segments, labels) {
                segments.append(Segment(
                    id: segments.count,
                    startMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.start),
                    endMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.end),
                    text: segment.text,
                    speaker: speaker
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

    /// A refusal of the diarizing model gets its own code: the customer asked for
    /// speakers, and must learn that this is what could not be done.
    private func diarized(
        _ audio: Data, piece: PreparedPiece, request: DubbingRequest, known: [OpenAIClient.KnownSpeaker]
    ) async throws(DubbingError) -> OpenAIClient.Transcription {
        do {
            return try await self.client.transcribeDiarized(
                audio: audio, fileName: piece.fileName, model: self.diarizeModel, language: request.sourceLanguage,
                knownSpeakers: known)
        } catch where error.isProviderRejection {
            throw .diarizationRefused("the provider refused to tell the speakers apart: \(error.message)")
        }
    }

    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return 0 }
        return Int64((max(0, seconds) * 1000).rounded())
    }
}
