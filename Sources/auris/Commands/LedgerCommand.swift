import ArgumentParser
import Foundation
import Payments
import Queue

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Inspect the credit ledger.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every invariant of the ledger and the queue; exit 1 naming each violation.")

        @OptionGroup var data: DataOptions

        func run() async throws {
            let database = try await data.openDatabase()
            let violations = try await AurisStore.violations(in: database, moreAudits: [PaymentsAudit.check])
            if violations.isEmpty {
                print("ledger verify: ok, all invariants hold")
                return
            }
            for violation in violations {
                FileHandle.standardError.write(Data("ledger verify: \(violation)\n".utf8))
            }
            FileHandle.standardError.write(Data("ledger verify: \(violations.count) violation(s)\n".utf8))
            throw ExitCode(1)
        }
    }
}
