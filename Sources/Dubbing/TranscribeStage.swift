import Foundation

/// Step 2: speech-to-text per prepared piece, up to `concurrency` pieces at once. Each
/// piece's answer is saved as it arrives, so a retry after a failure on piece 3 does not
/// pay for pieces 1 and 2 again. With `speakers=auto` the diarizing model labels each
/// line with its speaker, and `SpeakerLabels` keeps one label per person across the
/// pieces: each piece is sent with the speakers of all pieces before it, so those pieces
/// go one after another (docs/ARCHITECTURE.md, "Provider concurrency").
struct TranscribeStage: Sendable {
    let folder: WorkFolder
    let client: OpenAIClient
    let model: String
    let diarizeModel: String
    let ffmpegTimeoutSeconds: Double
    /// Pieces in flight at once (without diarization).
    let concurrency: Int

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
        var answers: [OpenAIClient.Transcription?] = Array(repeating: nil, count: pieces.count)
        var labels: [[String?]] = Array(repeating: [], count: pieces.count)
        var done = 0
        if request.speakers == .auto {
            var speakers = SpeakerLabels(folder: self.folder, ffmpegTimeoutSeconds: self.ffmpegTimeoutSeconds)
            for (index, piece) in pieces.enumerated() {
                try DubbingError.checkCancellation()
                let answer = try await self.transcription(of: piece, index: index, request: request, known: speakers.knownSpeakers())
                labels[index] = try await speakers.assign(answer.segments, piecePath: self.path(of: piece))
                answers[index] = answer
                done += 1
                await progress(.transcribe, Double(done) / Double(pieces.count))
            }
        } else {
            try DubbingError.checkCancellation()
            let stage = self
            try await forEachConcurrently(Array(pieces.enumerated()), concurrency: self.concurrency) { item throws(DubbingError) in
                try await stage.transcription(of: item.element, index: item.offset, request: request, known: nil)
            } finished: { item, answer in
                answers[item.offset] = answer
                labels[item.offset] = answer.segments.map { _ in nil }
                done += 1
                await progress(.transcribe, Double(done) / Double(pieces.count))
            }
        }
        var segments: [Segment] = []
        for (piece, (answer, speakers)) in zip(pieces, zip(answers, labels)) {
            for (segment, speaker) in zip(answer?.segments ?? [], speakers) {
                segments.append(Segment(
                    id: segments.count,
                    startMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.start),
                    endMilliseconds: piece.offsetMilliseconds + Self.milliseconds(segment.end),
                    text: segment.text,
                    speaker: speaker
                ))
            }
        }
        let transcript = Segment.normalized(segments, durationMilliseconds: request.durationMilliseconds)
        guard !transcript.isEmpty else {
            throw .noSpeech("no speech was found in the audio")
        }
        try self.folder.writeJSON(transcript, to: self.folder.transcriptFile)
        return transcript
    }

    private func path(of piece: PreparedPiece) -> String {
        "\(self.folder.preparedFolder)/\(piece.fileName)"
    }

    /// The saved answer of piece `index`, or the provider's, saved as soon as it arrives.
    /// - Parameter known: the speakers met so far, for a diarized piece; `nil` without diarization.
    private func transcription(
        of piece: PreparedPiece, index: Int, request: DubbingRequest, known: [OpenAIClient.KnownSpeaker]?
    ) async throws(DubbingError) -> OpenAIClient.Transcription {
        let answerFile = self.folder.pieceTranscript(index)
        if let saved = self.folder.readJSON(OpenAIClient.Transcription.self, from: answerFile) {
            return saved
        }
        let audio = Data(try self.folder.readBytes(self.path(of: piece)))
        let transcription: OpenAIClient.Transcription
        if let known {
            transcription = try await self.diarized(audio, piece: piece, request: request, known: known)
        } else {
            transcription = try await self.client.transcribe(
                audio: audio, fileName: piece.fileName, model: self.model, language: request.sourceLanguage)
        }
        try self.folder.writeJSON(transcription, to: answerFile)
        return transcription
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
