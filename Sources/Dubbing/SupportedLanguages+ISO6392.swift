extension SupportedLanguages {
    /// The ISO 639-2/T code of a supported language (`"fr"` → `"fra"`): MP4 and Matroska
    /// tag tracks with three letters. nil for a code not in `codes`.
    public static func iso6392(_ code: String) -> String? {
        threeLetterCodes[code]
    }

    private static let threeLetterCodes: [String: String] = [
        "af": "afr", "ar": "ara", "hy": "hye", "az": "aze", "be": "bel", "bs": "bos", "bg": "bul", "ca": "cat",
        "zh": "zho", "hr": "hrv", "cs": "ces", "da": "dan", "nl": "nld", "en": "eng", "et": "est", "fi": "fin",
        "fr": "fra", "gl": "glg", "de": "deu", "el": "ell", "he": "heb", "hi": "hin", "hu": "hun", "is": "isl",
        "id": "ind", "it": "ita", "ja": "jpn", "kn": "kan", "kk": "kaz", "ko": "kor", "lv": "lav", "lt": "lit",
        "mk": "mkd", "ms": "msa", "mr": "mar", "mi": "mri", "ne": "nep", "no": "nor", "fa": "fas", "pl": "pol",
        "pt": "por", "ro": "ron", "ru": "rus", "sr": "srp", "sk": "slk", "sl": "slv", "es": "spa", "sw": "swa",
        "sv": "swe", "tl": "tgl", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie",
        "cy": "cym",
    ]
}
