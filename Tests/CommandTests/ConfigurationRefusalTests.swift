import AurisTestSupport
import Foundation
import Testing

/// A bad flag or variable stops `up`, `serve` and `worker` at once with a message that
/// names it, before anything starts: no database, no child processes, no restart loop.
@Suite(.timeLimit(.minutes(5))) struct ConfigurationRefusalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var environment: [String: String] = [:]
        var message: String
        var testDescription: String { "\((environment.map { "\($0)=\($1)" } + arguments).joined(separator: " "))" }
    }

    static let cases: [Case] = [
        Case(arguments: ["up", "--concurrency", "100"], message: "--concurrency must be 1 to 64, not 100"),
        Case(arguments: ["up"], environment: ["AURIS_WORKER_CONCURRENCY": "0"], message: "AURIS_WORKER_CONCURRENCY must be 1 to 64, not 0"),
        Case(arguments: ["up", "--workers", "65"], message: "--workers must be 0 to 64, not 65"),
        Case(arguments: ["up"], environment: ["AURIS_LEASE_SECONDS": "0"], message: "AURIS_LEASE_SECONDS must be 2 to 3600, not 0"),
        Case(arguments: ["up"], environment: ["AURIS_POLL_MS": "1"], message: "AURIS_POLL_MS must be 10 to 60000, not 1"),
        Case(arguments: ["up"], environment: ["AURIS_ENGINE": "espeak"], message: "AURIS_ENGINE must be openai or offline, not espeak"),
        Case(arguments: ["worker"], environment: ["AURIS_WORKER_CONCURRENCY": "abc"], message: "AURIS_WORKER_CONCURRENCY must be a whole number"),
        Case(arguments: ["worker"], environment: ["AURIS_MAX_ATTEMPTS": "500"], message: "AURIS_MAX_ATTEMPTS must be 1 to 100, not 500"),
        Case(arguments: ["serve", "--port", "70000"], message: "--port must be 1 to 65535, not 70000"),
        Case(arguments: ["serve"], environment: ["AURIS_MAX_DURATION_SECONDS": "0"], message: "AURIS_MAX_DURATION_SECONDS must be 1 to 86400, not 0"),
        Case(arguments: ["serve"], environment: ["AURIS_MAX_VIDEO_BYTES": "0"], message: "AURIS_MAX_VIDEO_BYTES must be 1 to 68719476736, not 0"),
        Case(arguments: ["up"], environment: ["AURIS_BCRYPT_COST": "3"], message: "AURIS_BCRYPT_COST must be 4 to 31, not 3"),
        Case(arguments: ["serve"], environment: ["AURIS_SIGNUP": "maybe"], message: "AURIS_SIGNUP must be open or closed, not maybe"),
        Case(arguments: ["serve"], environment: ["AURIS_SIGNUP_CREDITS": "-1"], message: "AURIS_SIGNUP_CREDITS must be 0 to 1000000, not -1"),
        Case(arguments: ["up"], environment: ["AURIS_ACCOUNT_MAX_STREAMS": "0"], message: "AURIS_ACCOUNT_MAX_STREAMS must be 1 to 64, not 0"),
        Case(arguments: ["up"], environment: ["AURIS_WEBHOOK_TIMEOUT_SECONDS": "0"], message: "AURIS_WEBHOOK_TIMEOUT_SECONDS must be 1 to 60, not 0"),
        Case(arguments: ["worker"], environment: ["AURIS_WEBHOOK_ALLOW_PRIVATE": "2"], message: "AURIS_WEBHOOK_ALLOW_PRIVATE must be 0 to 1, not 2"),
    ]

    @Test(arguments: cases)
    func refusedBeforeAnythingStarts(_ refusal: Case) async throws {
        let directory = try TemporaryDirectory("auris-config")
        defer { directory.remove() }
        let startedAt = Date()
        let result = try await runProcess(
            try ExecutableLocator.path(of: "auris"), refusal.arguments,
            environment: refusal.environment.merging(["AURIS_DATA_DIR": directory.path, "AURIS_PORT": String(try freePort())]) { first, _ in first },
            timeoutSeconds: 30)
        #expect(result.status != 0)
        #expect(result.standardError.contains(refusal.message), "\(result.standardError)")
        #expect(Date().timeIntervalSince(startedAt) < 25, "refused at start, not after a restart loop")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("auris.sqlite")), "nothing was started")
    }
}
