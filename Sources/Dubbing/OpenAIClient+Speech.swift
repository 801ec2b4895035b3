import Foundation

extension OpenAIClient {
    /// The provider's limit on the text of one speech request, in characters.
    static let maxSpeechInputCharacters = 4096

    private struct SpeechRequest: Encodable {
        var model: String
        var input: String
        var voice: String
        /// How to speak it (tone, pace); only `gpt-4o-mini-tts` takes it. Left out when `nil`.
        var instructions: String?
        /// Raw samples, 24 kHz 16-bit little-endian mono: what the assemble step mixes,
        /// so a clip needs no decoding (no ffmpeg run per segment).
        var response_format = "pcm"
    }

    /// The sample rate of `pcm` speech.
    static let speechSampleRate = 24_000

    /// `POST /audio/speech`: `text` (at most `maxSpeechInputCharacters`) spoken as raw
    /// samples at `speechSampleRate`, 16-bit little-endian mono.
    func speech(text: String, model: String, voice: String, instructions: String? = nil) async throws(DubbingError) -> Data {
        precondition(text.count <= Self.maxSpeechInputCharacters, "split the text before asking for speech")
        let body: Data
        do {
            body = try JSONEncoder().encode(SpeechRequest(model: model, input: text, voice: voice, instructions: instructions))
        } catch {
            throw .providerRejected("speech: cannot encode the request: \(error)")
        }
        let audio = try await self.post(
            "audio/speech",
            body: body,
            contentType: "application/json",
            operation: "speech",
            timeoutSeconds: self.requestTimeoutSeconds
        )
        guard !audio.isEmpty, audio.count.isMultiple(of: 2) else {
            throw .providerBadResponse("speech: the answer is not 16-bit samples (\(audio.count) bytes)")
        }
        return audio
    }
}
