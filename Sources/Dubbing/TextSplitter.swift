/// Cuts text into parts of at most `maxCharacters` for a speech request, preferring
/// sentence ends, then spaces, so that each part still sounds natural.
enum TextSplitter {
    static func split(_ text: String, maxCharacters: Int) -> [String] {
        precondition(maxCharacters > 0)
        var parts: [String] = []
        var rest = Substring(text)
        while rest.count > maxCharacters {
            let window = rest.prefix(maxCharacters)
            let cut = Self.lastIndex(in: window, after: [".", "!", "?", "。", "！", "？", ";", "\n"])
                ?? Self.lastIndex(in: window, after: [" ", ",", "、"])
                ?? window.endIndex
            let part = rest[..<cut].trimmingWhitespace()
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...]
        }
        let last = rest.trimmingWhitespace()
        if !last.isEmpty { parts.append(last) }
        return parts
    }

    /// The position just after the last of `separators` in `window`, if that leaves a
    /// reasonably long part (a cut after the first word would give a choppy voice).
    private static func lastIndex(in window: Substring, after separators: Set<Character>) -> Substring.Index? {
        guard let found = window.lastIndex(where: { separators.contains($0) }) else { return nil }
        let cut = window.index(after: found)
        return window.distance(from: window.startIndex, to: cut) >= window.count / 3 ? cut : nil
    }
}
