import Crypto
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
        switch fields["original"]?.lowercased() {
        case nil, "", "keep": keepOriginal = true
        case "drop": keepOriginal = false
        case let other?: throw APIError.invalidRequest("original must be keep or drop, not \(other.prefix(16))")
        }
    }

    /// What makes two requests the same, for idempotency keys.
    func fingerprint(audioDigest: String, subtitlesDigest: String?) -> String {
        var parts = [audioDigest, subtitlesDigest ?? "-", targetLanguage, sourceLanguage ?? "-", voice ?? "-",
                     keepBackground ? "keep" : "remove"]
        // Only when not the default: a request from before the field fingerprints as it did.
        if !keepOriginal { parts.append("original=drop") }
        let canonical = parts.joined(separator: "\n")
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
