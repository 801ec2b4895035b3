/// The target languages Auris dubs into: the languages OpenAI's speech models speak,
/// which are Whisper's well-supported languages (OpenAI text-to-speech guide).
///
/// The API checks `target_language` against `codes` (400 when unknown); an engine may
/// support fewer (`DubbingEngine.unsupportedReason`, 422).
public enum SupportedLanguages {
    /// ISO 639-1 codes, lower case.
    public static let codes: Set<String> = Set(names.keys)

    /// The English name of a supported language (`"fr"` → `"French"`), used in the
    /// translation prompt and in messages; `nil` for a code not in `codes`.
    public static func name(of code: String) -> String? {
        self.names[code]
    }

    private static let names: [String: String] = [
        "af": "Afrikaans", "ar": "Arabic", "hy": "Armenian", "az": "Azerbaijani",
        "be": "Belarusian", "bs": "Bosnian", "bg": "Bulgarian", "ca": "Catalan",
        "zh": "Chinese", "hr": "Croatian", "cs": "Czech", "da": "Danish",
        "nl": "Dutch", "en": "English", "et": "Estonian", "fi": "Finnish",
        "fr": "French", "gl": "Galician", "de": "German", "el": "Greek",
        "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic",
        "id": "Indonesian", "it": "Italian", "ja": "Japanese", "kn": "Kannada",
        "kk": "Kazakh", "ko": "Korean", "lv": "Latvian", "lt": "Lithuanian",
        "mk": "Macedonian", "ms": "Malay", "mr": "Marathi", "mi": "Maori",
        "ne": "Nepali", "no": "Norwegian", "fa": "Persian", "pl": "Polish",
        "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sr": "Serbian",
        "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "sw": "Swahili",
        "sv": "Swedish", "tl": "Tagalog", "ta": "Tamil", "th": "Thai",
        "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
        "cy": "Welsh",
    ]
}
