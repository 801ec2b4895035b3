extension StringProtocol {
    /// The text without leading and trailing whitespace (Foundation-free, for any `Substring`).
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
