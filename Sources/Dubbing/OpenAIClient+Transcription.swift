import Foundation

extension OpenAIClient {
    /// The part of a `verbose_json` transcription the pipeline uses.
    struct Transcription: Codable {
        struct Segment: Codable {
            var start: Double
            var end: Double
            var text: String
        }

        var segments: [Segment]
    }

    /// `POST /audio/transcriptions` for one prepared piece, with segment timestamps.
    /// - Parameters:
    ///   - audio: the piece; its file name's extension tells the provider the format.
    ///   - language: ISO 639-1 code of the spoken language, when known.
    func transcribe(audio: Data, fileName: String, model: String, language: String?) async throws(DubbingError) -> Transcription {
        var form = MultipartFormBody()
        form.addField("model", model)
        form.addField("response_format", "verbose_json")
        form.addField("timestamp_granularities[]", "segment")
        if let language { form.addField("language", language) }
        form.addFile("file", fileName: fileName, contentType: "audio/mpeg", contents: audio)

        let answer = try await self.post(
            "audio/transcriptions",
            body: form.finished(),
            contentType: form.contentType,
            operation: "transcription",
            timeoutSeconds: self.transcriptionTimeoutSeconds
        )
        do {
            return try JSONDecoder().decode(Transcription.self, from: answer)
        } catch {
            throw .providerBadResponse("transcription: the answer has no readable segments (\(error))")
        }
    }
}
