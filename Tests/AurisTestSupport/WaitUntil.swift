import Foundation

/// Polls `condition` until it holds. Throws, naming what was waited for, when
/// `timeoutSeconds` pass first: a wait that ends quietly would let a test go on (and
/// pass) without what it waited for ever happening.
public func waitUntil(
    _ what: @autoclosure () -> String, timeoutSeconds: Double = 60, every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw FixtureError("waited \(timeoutSeconds) s for \(what()), in vain")
}
