/// Adds up one audio stream's packets into the length a decoder will produce, in the
/// stream's time base.
///
/// The length is the larger of the timeline's span (latest packet end minus earliest
/// start) and the sum of packet durations: a gap in the timestamps cannot shrink the
/// sum, and timestamps that jump back (or repeat) cannot shrink the span. Samples the
/// container marks for the decoder to drop (encoder delay, end padding) are then
/// taken off, because a decoder never outputs them.
///
/// The encoder delay is said in two ways: skip-samples side data on the first
/// packets, or the stream's codec delay (Matroska's CodecDelay) that the decoder
/// applies by itself. Both describe the same leading samples, so the larger counts,
/// never the sum.
struct PacketTimeline: Equatable {
    struct Overflow: Error {}

    private(set) var packetCount = 0
    private var earliestStart: Int64?
    private var latestEnd: Int64?
    private var durationTotal: Int64 = 0
    private var leadingDropTotal: Int64 = 0
    private var trailingDropTotal: Int64 = 0
    private let codecDelay: Int64
    /// The start of the previous packet while its duration is unknown: the next
    /// packet's start is where it ends.
    private var openStart: Int64?

    /// - Parameter codecDelay: the leading samples the decoder drops by itself, in
    ///   the stream's time base.
    init(codecDelay: Int64 = 0) {
        self.codecDelay = max(0, codecDelay)
    }

    /// Whether the last packet added had no known duration, so its end is unknown.
    var lastPacketDurationUnknown: Bool { openStart != nil }

    /// The length so far, never negative.
    var length: Int64 {
        guard let earliestStart, let latestEnd else { return 0 }
        // Cannot overflow: `add` checked `end - earliestStart` for every end it kept.
        let span = latestEnd - earliestStart
        let leading = max(leadingDropTotal, codecDelay)
        let (dropped, overflow) = leading.addingReportingOverflow(trailingDropTotal)
        return overflow ? 0 : max(0, max(span, durationTotal) - dropped)
    }

    /// Adds one packet.
    /// - Parameters:
    ///   - start: its presentation (or decoding) time; nil when it has neither, and it
    ///     then follows the packet before it.
    ///   - duration: its length, or 0 or less when unknown.
    ///   - leadingDrop: how much the container tells the decoder to skip from here on.
    ///   - trailingDrop: how much padding the container tells the decoder to drop at the
    ///     end of this packet.
    /// - Throws: `Overflow` when timestamps are so large that the arithmetic overflows;
    ///   no real file does that.
    mutating func add(start: Int64?, duration: Int64, leadingDrop: Int64 = 0, trailingDrop: Int64 = 0) throws(Overflow) {
        let start = start ?? latestEnd ?? 0
        if let openStart, start > openStart {
            durationTotal = try checked(durationTotal.addingReportingOverflow(try checked(start.subtractingReportingOverflow(openStart))))
        }
        let end: Int64
        if duration > 0 {
            end = try checked(start.addingReportingOverflow(duration))
            durationTotal = try checked(durationTotal.addingReportingOverflow(duration))
            openStart = nil
        } else {
            end = start
            openStart = start
        }
        let newEarliest = min(earliestStart ?? start, start)
        let newLatest = max(latestEnd ?? end, end)
        _ = try checked(newLatest.subtractingReportingOverflow(newEarliest))
        earliestStart = newEarliest
        latestEnd = newLatest
        leadingDropTotal = try checked(leadingDropTotal.addingReportingOverflow(max(0, leadingDrop)))
        trailingDropTotal = try checked(trailingDropTotal.addingReportingOverflow(max(0, trailingDrop)))
        packetCount += 1
    }

    private func checked(_ result: (partialValue: Int64, overflow: Bool)) throws(Overflow) -> Int64 {
        guard !result.overflow else { throw Overflow() }
        return result.partialValue
    }
}
