/// The tone a line is written in, read from its closing punctuation, and the
/// `instructions` that ask a steerable speech model (`gpt-4o-mini-tts`) to keep it: a
/// translated question must still sound like one.
enum SpeechTone: Equatable {
    case question
    case exclamation
    case statement

    init(of text: String) {
        // Closing quotes and brackets do not end the sentence's tone; `?!` asks.
        let closers: Set<Character> = ["\"", "'", "»", "”", "’", ")", "]", "…", "."]
        let tail = text.reversed().drop { $0.isWhitespace || closers.contains($0) }.prefix(3)
        if tail.contains(where: { $0 == "?" || $0 == "？" || $0 == "¿" }) {
            self = .question
        } else if tail.first == "!" || tail.first == "！" {
            self = .exclamation
        } else {
            self = .statement
        }
    }

    var instructions: String {
        switch self {
        case .question:
            "Speak this line as a question, with the rising intonation of someone asking. Keep a natural pace."
        case .exclamation:
            "Speak this line as an exclamation: energetic and emphatic, as someone calling out. Keep a natural pace."
        case .statement:
            "Speak this line as a calm, natural statement. Keep a natural pace."
        }
    }

    /// `tts-1` and `tts-1-hd` refuse `instructions`.
    static func takesInstructions(model: String) -> Bool {
        !(model.hasPrefix("tts-1"))
    }
}
