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
    }

    /// Lowercase ASCII letters, digits, `-` and `_`.
    private static let voiceBytes = Set(Array("abcdefghijklmnopqrstuvwxyz0123456789-_".utf8))

    /// What makes two requests the same, for idempotency keys.
    func fingerprint(audioDigest: String, subtitlesDigest: String?) -> String {
        var parts = [audioDigest, subtitlesDigest ?? "-", targetLanguage, sourceLanguage ?? "-", voice ?? "-",
                     keepBackground ? "keep" : "remove"]
        // Only when not the default: a request from before the field fingerprints as it did.
        if !keepOriginal { parts.append("original=drop") }
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
