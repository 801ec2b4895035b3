import Crypto
import Dubbing
import Foundation

/// The text fields of a dub request, checked.
struct DubFields {
    var targetLanguage: String
    var sourceLanguage: String?
    var voice: String?
    var keepBackground: Bool
    var speakers: DubbingSpeakers = .one
    /// `voices=A:onyx,B:nova`: a voice per speaker label; needs `speakers=auto`.
    var voices: [String: String] = [:]

    init(_ fields: [String: String], hasSubtitles: Bool) throws {
        guard let target = fields["target_language"]?.trimmingCharacters(in: .whitespaces).lowercased(), !target.isEmpty else {
            throw APIError.invalidRequest("target_language is required (an ISO 639-1 code such as fr)")
        }
        targetLanguage = try Self.language(target, field: "target_language")
        if let source = fields["source_language"]?.trimmingCharacters(in: .whitespaces).lowercased(), !source.isEmpty {
            sourceLanguage = try Self.language(source, field: "source_language")
        }
        if let voice = fields["voice"]?.trimmingCharacters(in: .whitespaces).lowercased(), !voice.isEmpty {
            guard voice.count <= 32, voice.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw APIError.invalidRequest("voice must be a voice name such as alloy")
            }
            self.voice = voice
        }
        switch fields["background"]?.lowercased() {
        case nil, "", "remove", "drop": keepBackground = false
        case "keep": keepBackground = true
        case let other?: throw APIError.invalidRequest("background must be keep or remove, not \(other)")
        }
        switch fields["speakers"]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "one": speakers = .one
        case "auto": speakers = .auto
        case let other?: throw APIError.invalidRequest("speakers must be auto or one, not \(other.prefix(16))")
        }
        if let text = fields["voices"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            // Voices per speaker mean speakers told apart; an explicit `speakers=one` contradicts them.
            guard fields["speakers"]?.trimmingCharacters(in: .whitespaces).lowercased() != "one" else {
                throw APIError.invalidRequest("voices needs speakers=auto")
            }
            voices = try Self.voices(text)
            speakers = .auto
        }
    }

    /// `A:onyx,B:nova`: at most 16 pairs of a speaker label (letters, digits, `_`, `-`,
    /// as the transcript and subtitle cues name them) and a voice name.
    private static func voices(_ text: String) throws -> [String: String] {
        let syntax = "voices must look like A:onyx,B:nova (a speaker label, a colon, a voice name; pairs separated by commas)"
        var voices: [String: String] = [:]
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count <= 16 else { throw APIError.invalidRequest("voices names at most 16 speakers") }
        for pair in pairs {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, isName(parts[0]), isName(parts[1]) else { throw APIError.invalidRequest(syntax) }
            guard voices.updateValue(parts[1].lowercased(), forKey: parts[0]) == nil else {
                throw APIError.invalidRequest("voices names speaker \(parts[0]) twice")
            }
        }
        return voices
    }

    private static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 32 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// What makes two requests the same, for idempotency keys.
    func fingerprint(audioDigest: String, subtitlesDigest: String?) -> String {
        let canonical = [audioDigest, subtitlesDigest ?? "-", targetLanguage, sourceLanguage ?? "-", voice ?? "-",
                         keepBackground ? "keep" : "remove", speakers.rawValue,
                         voices.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")].joined(separator: "\n")
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func language(_ code: String, field: String) throws -> String {
        guard SupportedLanguages.codes.contains(code) else {
            throw APIError.invalidRequest(
                "\(field) \(code.prefix(16)) is not a language we can dub into; use an ISO 639-1 code such as \(SupportedLanguages.codes.sorted().prefix(6).joined(separator: ", "))")
        }
        return code
    }
}
