import Foundation

extension OpenAIClient {
    /// One line sent to or received from the translation model.
    struct TranslationLine: Codable, Equatable, Sendable {
        var id: Int
        var text: String
    }

    private struct Lines: Codable {
        var segments: [TranslationLine]
    }

    private struct ChatAnswer: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var refusal: String?
            }

            var message: Message
            var finish_reason: String?
        }

        var choices: [Choice]
    }

    /// `POST /chat/completions` with a strict JSON schema: the same ids back, each once,
    /// with the text in `targetLanguageName`.
    /// - Throws: `provider_bad_response` (transient: the model may do better next time)
    ///   when ids are missing, repeated or unknown, or the answer was cut off;
    ///   `provider_rejected` when the model refuses.
    func translate(
        _ lines: [TranslationLine],
        sourceLanguageName: String?,
        targetLanguageName: String,
        model: String
    ) async throws(DubbingError) -> [TranslationLine] {
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: try Self.chatRequest(
                lines, sourceLanguageName: sourceLanguageName, targetLanguageName: targetLanguageName, model: model
            ))
        } catch {
            throw .providerRejected("translation: cannot encode the request: \(error)")
        }
        let answer = try await self.post(
            "chat/completions",
            body: body,
            contentType: "application/json",
            operation: "translation",
            timeoutSeconds: self.requestTimeoutSeconds
        )
        guard let choice = (try? JSONDecoder().decode(ChatAnswer.self, from: answer))?.choices.first else {
            throw .providerBadResponse("translation: the answer has no choice")
        }
        if let refusal = choice.message.refusal, !refusal.isEmpty {
            throw .providerRejected("translation: the model refused: \(refusal.prefix(300))")
        }
        guard choice.finish_reason != "length" else {
            throw .providerBadResponse("translation: the answer was cut off at the token limit")
        }
        guard let content = choice.message.content,
              let translated = try? JSONDecoder().decode(Lines.self, from: Data(content.utf8)).segments
        else {
            throw .providerBadResponse("translation: the content is not the requested JSON")
        }
        return try Self.matched(translated, to: lines)
    }

    /// The translated lines in the order of `lines`, after checking that every id came back exactly once.
    static func matched(_ translated: [TranslationLine], to lines: [TranslationLine]) throws(DubbingError) -> [TranslationLine] {
        var byID: [Int: TranslationLine] = [:]
        for line in translated {
            guard byID.updateValue(line, forKey: line.id) == nil else {
                throw .providerBadResponse("translation: segment \(line.id) came back twice")
            }
        }
        let expected = Set(lines.map(\.id))
        if let unknown = byID.keys.first(where: { !expected.contains($0) }) {
            throw .providerBadResponse("translation: the answer has an unknown segment \(unknown)")
        }
        return try lines.map { line throws(DubbingError) in
            guard let match = byID[line.id] else {
                throw .providerBadResponse("translation: segment \(line.id) is missing from the answer")
            }
            return match
        }
    }

    private static func chatRequest(
        _ lines: [TranslationLine],
        sourceLanguageName: String?,
        targetLanguageName: String,
        model: String
    ) throws -> [String: Any] {
        let from = sourceLanguageName.map { " from \($0)" } ?? ""
        let instructions = """
            You translate the transcript of a recording\(from) into \(targetLanguageName) for dubbing. \
            Translate the text of every segment so that it sounds natural when spoken and takes about \
            as long to say as the original. Return every id exactly once, unchanged; never merge, split, \
            add or drop segments. If a segment has no words to translate, return its text unchanged.
            """
        let input = String(decoding: try JSONEncoder().encode(Lines(segments: lines)), as: UTF8.self)
        let schema: [String: Any] = [
            "type": "object",
            "properties": [
                "segments": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "properties": ["id": ["type": "integer"], "text": ["type": "string"]],
                        "required": ["id", "text"],
                        "additionalProperties": false,
                    ] as [String: Any],
                ] as [String: Any],
            ],
            "required": ["segments"],
            "additionalProperties": false,
        ]
        return [
            "model": model,
            "messages": [
                ["role": "system", "content": instructions],
                ["role": "user", "content": input],
            ],
            "response_format": [
                "type": "json_schema",
                "json_schema": ["name": "translated_segments", "schema": schema, "strict": true] as [String: Any],
            ] as [String: Any],
        ]
    }
}
