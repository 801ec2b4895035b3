@testable import Media
import Testing

/// The arithmetic that turns packets into a length, on hand-made timelines.
@Suite(.timeLimit(.minutes(5))) struct PacketTimelineTests {
    @Test("contiguous packets add up")
    func contiguous() throws {
        var timeline = PacketTimeline()
        for start in stride(from: Int64(0), to: 10_240, by: 1024) {
            try timeline.add(start: start, duration: 1024)
        }
        #expect(timeline.length == 10_240)
        #expect(timeline.packetCount == 10)
    }

    @Test("the length starts at the first packet, not at zero")
    func offsetStart() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: 5000, duration: 100)
        try timeline.add(start: 5100, duration: 100)
        #expect(timeline.length == 200)
    }

    @Test("a gap in the timestamps counts: the span is longer than the packets")
    func gapCounts() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: 0, duration: 100)
        try timeline.add(start: 900, duration: 100)
        #expect(timeline.length == 1000)
    }

    @Test("timestamps that jump back cannot shrink the length")
    func rewindCannotShrink() throws {
        var timeline = PacketTimeline()
        for _ in 0..<50 {
            try timeline.add(start: 0, duration: 100)
        }
        #expect(timeline.length == 5000)
    }

    @Test("a packet without a timestamp follows the one before")
    func missingTimestamp() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: 0, duration: 100)
        try timeline.add(start: nil, duration: 100)
        try timeline.add(start: nil, duration: 100)
        #expect(timeline.length == 300)
    }

    @Test("an unknown duration ends where the next packet starts; a last one stays open")
    func unknownDuration() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: 0, duration: 0)
        #expect(timeline.lastPacketDurationUnknown)
        try timeline.add(start: 300, duration: 100)
        #expect(!timeline.lastPacketDurationUnknown)
        #expect(timeline.length == 400)
        try timeline.add(start: 400, duration: -1)
        #expect(timeline.lastPacketDurationUnknown)
    }

    @Test("skipped and padding samples are taken off; the codec delay is not added to the skip")
    func drops() throws {
        var timeline = PacketTimeline(codecDelay: 312)
        try timeline.add(start: -312, duration: 960, leadingDrop: 312)
        try timeline.add(start: 648, duration: 960, trailingDrop: 600)
        #expect(timeline.length == 1920 - 312 - 600)

        var delayOnly = PacketTimeline(codecDelay: 312)
        try delayOnly.add(start: -312, duration: 960)
        #expect(delayOnly.length == 960 - 312)
    }

    @Test("drops larger than the audio leave zero, never a negative length")
    func dropsNeverGoNegative() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: 0, duration: 100, leadingDrop: Int64(UInt32.max), trailingDrop: Int64(UInt32.max))
        #expect(timeline.length == 0)
    }

    @Test("timestamps that would overflow are rejected")
    func overflow() throws {
        var timeline = PacketTimeline()
        try timeline.add(start: .min + 1, duration: 10)
        #expect(throws: PacketTimeline.Overflow.self) {
            try timeline.add(start: .max - 5, duration: 1)
        }
        var late = PacketTimeline()
        #expect(throws: PacketTimeline.Overflow.self) {
            try late.add(start: .max - 5, duration: 10)
        }
    }
}
