import Foundation

extension OpenAIClient {
    /// The part of a `verbose_json` or `diarized_json` transcription the pipeline uses.
    struct Transcription: Codable, Sendable {
        struct Segment: Codable, Sendable {
            var start: Double
            var end: Double
            var text: String
            /// The speaker's label in a `diarized_json` answer: a known speaker's name, or a
            /// letter (`A`, `B`) the provider gives a voice it does not know.
            var speaker: String?
        }

        var segments: [Segment]
    }

    /// A speaker found in an earlier piece: the name the provider labels them with, and a
    /// short clip of their voice as a `data:` URL.
    struct KnownSpeaker: Sendable {
        var name: String
        var referenceDataURL: String
    }

    /// The provider takes at most this many known speakers per request.
    static let maxKnownSpeakers = 4

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
        return try await self.postTranscription(form)
    }

    /// `POST /audio/transcriptions` with the diarizing model: segments labelled by speaker.
    /// `chunking_strategy=auto` is required for audio over 30 s and sent always; `prompt`
    /// is refused by the model, so none is sent. `knownSpeakers` (at most
    /// `maxKnownSpeakers`) keep the labels of speakers met in earlier pieces.
    func transcribeDiarized(
        audio: Data, fileName: String, model: String, language: String?, knownSpeakers: [KnownSpeaker]
    ) async throws(DubbingError) -> Transcription {
        precondition(knownSpeakers.count <= Self.maxKnownSpeakers, "the provider takes at most four known speakers")
        var form = MultipartFormBody()
        form.addField("model", model)
        form.addField("response_format", "diarized_json")
        form.addField("chunking_strategy", "auto")
        if let language { form.addField("language", language) }
        for speaker in knownSpeakers {
            form.addField("known_speaker_names[]", speaker.name)
            form.addField("known_speaker_references[]", speaker.referenceDataURL)
        }
        form.addFile("file", fileName: fileName, contentType: "audio/mpeg", contents: audio)
        return try await self.postTranscription(form)
    }

    private func postTranscription(_ form: MultipartFormBody) async throws(DubbingError) -> Transcription {
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
