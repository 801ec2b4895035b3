extension Duration {
    /// Whole milliseconds, rounded down: what logs report.
    public var wholeMilliseconds: Int64 {
        self.components.seconds * 1_000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
