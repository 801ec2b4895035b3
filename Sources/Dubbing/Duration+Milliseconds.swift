extension Duration {
    /// Whole milliseconds, rounded down: what logs report.
    public var wholeMilliseconds: Int64 {
        self.components.seconds * 1_000 + self.components.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds with their fraction, for rates.
    var inSeconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
