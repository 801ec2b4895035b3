import Foundation

extension OpenAIClient {
    /// The provider's limit on the text of one speech request, in characters.
    static let maxSpeechInputCharacters = 4096

    private struct SpeechRequest: Encodable {
        var model: String
        var input: String
        var voice: String
        var response_format = "mp3"
    }

    /// `POST /audio/speech`: the MP3 of `text` (at most `maxSpeechInputCharacters`).
    func speech(text: String, model: String, voice: String) async throws(DubbingError) -> Data {
        precondition(text.count <= Self.maxSpeechInputCharacters, "split the text before asking for speech")
        let body: Data
        do {
            body = try JSONEncoder().encode(SpeechRequest(model: model, input: text, voice: voice))
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
        guard !audio.isEmpty else { throw .providerBadResponse("speech: the answer is empty") }
        return audio
    }
}
