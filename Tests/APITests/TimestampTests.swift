import Foundation
import Testing

@testable import API

/// Times in answers are ISO 8601 in UTC with milliseconds, as Foundation's formatter writes them.
@Suite struct TimestampTests {
    @Test(arguments: [
        Int64(0), 1, 999, 1_000, 1_764_633_600_123, 1_799_999_999_999, -1, -1_001, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000,
    ])
    func matchesFoundationsFormatter(_ milliseconds: Int64) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
        if milliseconds < 253_402_300_800_000 {
            #expect(JobView.timestamp(milliseconds) == expected)
        } else {
            // Past year 9999 the year simply grows a digit.
            #expect(JobView.timestamp(milliseconds) == "10000-01-01T00:00:00.000Z")
        }
    }
}
