import Foundation

/// Where the current time comes from, so leases and backoff are tested without sleeping.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    var nowMilliseconds: Int64 { get }
}

/// The machine's clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public var nowMilliseconds: Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
    }
}
