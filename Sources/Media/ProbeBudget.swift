/// The bounds on one probe's work, shared by every pass over the file.
struct ProbeBudget: Sendable {
    var deadline: ContinuousClock.Instant
    var timeLimitSeconds: Double
    var maxBytesRead: Int64
    var maxPacketCount: Int

    init(timeLimitSeconds: Double, maxBytesRead: Int64, maxPacketCount: Int, now: ContinuousClock.Instant = .now) {
        // Clamped to a day so that no value (infinite, NaN, huge) can trap the conversion.
        let seconds = timeLimitSeconds.isNaN ? 0 : min(max(0, timeLimitSeconds), 86_400)
        self.deadline = now + .milliseconds(Int64((seconds * 1000).rounded(.up)))
        self.timeLimitSeconds = timeLimitSeconds
        self.maxBytesRead = maxBytesRead
        self.maxPacketCount = maxPacketCount
    }
}
