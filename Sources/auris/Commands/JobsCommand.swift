import ArgumentParser
import Billing
import Foundation
import Queue

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Look at the job queue.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A table of jobs, newest first.")

        @Option(help: "Only jobs in this state: queued, running, succeeded, failed, canceled.")
        var status: String?

        @Option(help: "At most this many rows (1 to 1000).")
        var limit: Int = 50

        @OptionGroup var data: DataOptions

        func run() async throws {
            let state = try status.map { name in
                guard let state = JobState(rawValue: name) else {
                    throw ValidationError("--status must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return state
            }
            let database = try await data.openDatabase()
            let jobs = try await JobQueue(database: database).jobs(state: state, limit: limit)
            let header = ["ID", "ACCOUNT", "STATE", "STAGE", "PROGRESS", "ATTEMPTS", "CREDITS", "CREATED", "ERROR"]
            let rows = jobs.map { job in
                [
                    job.id, job.account.description, job.state.rawValue + (job.cancelRequested ? "*" : ""),
                    job.stage ?? "-", String(format: "%.0f%%", job.progress * 100), "\(job.attempts)/\(job.maxAttempts)",
                    String(job.credits), Self.timestamp(job.createdAtMilliseconds), job.errorCode ?? "",
                ]
            }
            print(Self.table([header] + rows))
            if jobs.isEmpty { print("(no jobs)") }
        }

        static func timestamp(_ milliseconds: Int64) -> String {
            let formatter = ISO8601DateFormatter()
            return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
        }

        static func table(_ rows: [[String]]) -> String {
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { column, cell in
                    cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n")
        }
    }
}
