/// What a job costs: one credit per started ten seconds of audio, at least one.
///
/// ```swift
/// CreditPricing.credits(forDurationMilliseconds: 10_001) // 2
/// ```
public enum CreditPricing {
    /// The length of audio one credit pays for.
    public static let millisecondsPerCredit: Int64 = 10_000
    /// What the shortest job costs.
    public static let minimumCredits: Int64 = 1

    /// `max(1, ceil(durationMilliseconds / 10_000))`, in integer arithmetic.
    public static func credits(forDurationMilliseconds durationMilliseconds: Int64) -> Int64 {
        precondition(durationMilliseconds >= 0, "a duration is never negative")
        let started = (durationMilliseconds + millisecondsPerCredit - 1) / millisecondsPerCredit
        return max(minimumCredits, started)
    }
}
