import Crypto
import Database
import Dubbing
import Foundation

/// The text fields of a dub request, checked.
struct DubFields {
    var targetLanguage: String
    var sourceLanguage: String?
    var voice: String?
    var keepBackground: Bool
    /// A video's original audio comes back as a second track (`original=keep`, the default).
    var keepOriginal: Bool
    var speakers: DubbingSpeakers = .one
    /// `voices=A:onyx,B:nova`: a voice per speaker label; implies `speakers=auto`.
    var voices: [String: String] = [:]

    /// Values are taken as sent (no trimming, no case folding): docs/openapi.yaml lists
    /// exactly what each field accepts, and an empty optional field is as if absent.
    init(_ fields: [String: String], hasSubtitles: Bool) throws {
        guard let target = fields["target_language"], !target.isEmpty else {
            throw APIError.invalidRequest("target_language is required (an ISO 639-1 code such as fr)")
        }
        targetLanguage = try Self.language(target, field: "target_language")
        if let source = fields["source_language"], !source.isEmpty {
            sourceLanguage = try Self.language(source, field: "source_language")
        }
        if let voice = fields["voice"], !voice.isEmpty {
            guard voice.utf8.count <= 32, voice.utf8.allSatisfy({ Self.voiceBytes.contains($0) }) else {
                throw APIError.invalidRequest("voice must be a voice name such as alloy")
            }
            self.voice = voice
        }
        switch fields["background"] {
        case nil, "", "remove": keepBackground = false
        case "keep": keepBackground = true
        case let other?: throw APIError.invalidRequest("background must be keep or remove, not \(other.prefix(16))")
        }
        switch fields["original"] {
        case nil, "", "keep": keepOriginal = true
        case "drop": keepOriginal = false
        case let other?: throw APIError.invalidRequest("original must be keep or drop, not \(other.prefix(16))")
        }
        switch fields["speakers"] {
        case nil, "", "one": speakers = .one
        case "auto": speakers = .auto
        case let other?: throw APIError.invalidRequest("speakers must be auto or one, not \(other.prefix(16))")
        }
        if let text = fields["voices"], !text.isEmpty {
            // Voices per speaker mean speakers told apart; an explicit `speakers=one` contradicts them.
            guard fields["speakers"] != "one" else {
                throw APIError.invalidRequest("voices needs speakers=auto")
            }
            voices = try Self.voices(text)
            speakers = .auto
        }
    }

    /// `A:onyx,B:nova`: at most 16 pairs of a speaker label (ASCII letters, digits, `_`,
    /// `-`, as the transcript and subtitle cues name them) and a voice name (lowercase).
    private static func voices(_ text: String) throws -> [String: String] {
        let syntax = "voices must look like A:onyx,B:nova (a speaker label, a colon, a voice name; pairs separated by commas)"
        var voices: [String: String] = [:]
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count <= 16 else { throw APIError.invalidRequest("voices names at most 16 speakers") }
        for pair in pairs {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, isLabel(parts[0]), !parts[1].isEmpty, parts[1].utf8.count <= 32,
                  parts[1].utf8.allSatisfy(voiceBytes.contains)
            else { throw APIError.invalidRequest(syntax) }
            guard voices.updateValue(parts[1], forKey: parts[0]) == nil else {
                throw APIError.invalidRequest("voices names speaker \(parts[0]) twice")
            }
        }
        return voices
    }

    private static func isLabel(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 32 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Lowercase ASCII letters, digits, `-` and `_`.
    private static let voiceBytes = Set(Array("abcdefghijklmnopqrstuvwxyz0123456789-_".utf8))

    /// What makes two requests the same, for idempotency keys.
    func fingerprint(audioDigest: String, subtitlesDigest: String?) -> String {
        var parts = [audioDigest, subtitlesDigest ?? "-", targetLanguage, sourceLanguage ?? "-", voice ?? "-",
                     keepBackground ? "keep" : "remove"]
        // Only when not the default: a request from before the field fingerprints as it did.
        if !keepOriginal { parts.append("original=drop") }
        if speakers == .auto { parts.append("speakers=auto") }
        if !voices.isEmpty { parts.append("voices=" + voices.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")) }
        let canonical = parts.joined(separator: "\n")
        return SHA256.hash(data: Data(canonical.utf8)).hexString
    }

    private static func language(_ code: String, field: String) throws -> String {
        guard SupportedLanguages.codes.contains(code) else {
            throw APIError.invalidRequest(
                "\(field) \(code.prefix(16)) is not a language we can dub into; use an ISO 639-1 code such as \(SupportedLanguages.codes.sorted().prefix(6).joined(separator: ", "))")
        }
        return code
    }
}
