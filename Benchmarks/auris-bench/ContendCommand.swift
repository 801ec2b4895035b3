import ArgumentParser
import Billing
import Foundation
import Queue

/// One of several processes racing to reserve an account's credits; tests start many at
/// once on one database and check that exactly the affordable number of jobs got in.
struct ContendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contend", abstract: "Race to enqueue jobs on a shared database (for tests).")

    @Option(name: .customLong("data-dir")) var dataDirectory: String
    @Option(name: .customLong("database-url"), help: "PostgreSQL instead of SQLite in the data folder.")
    var databaseURL: String?
    @Option var account: Int64
    @Option var jobs: Int = 20
    @Option var credits: Int64 = 1
    @Option(help: "Start at this Unix time in milliseconds, so the processes collide.")
    var startAt: Int64 = 0

    func run() async throws {
        let database = try await AurisStore.open(dataDirectory: dataDirectory, databaseURL: databaseURL)
        var configuration = JobQueue.Configuration()
        configuration.maxQueuedPerAccount = 10_000
        let queue = JobQueue(database: database, configuration: configuration)
        let wait = Double(startAt) / 1_000 - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
        let request = EnqueueRequest(
            account: AccountID(rawValue: account), credits: credits, durationMilliseconds: credits * 10_000, payload: "{}")
        let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<jobs {
                group.addTask {
                    do {
                        _ = try await queue.enqueue(request)
                        return true
                    } catch is LedgerError {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        print(#"{"accepted":\#(accepted),"refused":\#(jobs - accepted)}"#)
    }
}
