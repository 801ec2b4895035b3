import ArgumentParser
import Billing

struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Manage credits.",
        subcommands: [Grant.self, Forgive.self]
    )

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant free credits to an account, through the ledger.")

        @Option(help: "The account id.")
        var account: Int64

        @Option(help: "How many credits (1 to 1000000).")
        var credits: Int64

        @Option(help: "Why, shown in the account's history.")
        var reason: String?

        @OptionGroup var data: DataOptions

        func validate() throws {
            guard (1...1_000_000).contains(credits) else { throw ValidationError("--credits must be between 1 and 1000000") }
            if let reason, reason.count > 500 { throw ValidationError("--reason is at most 500 characters") }
        }

        func run() async throws {
            let database = try await data.openDatabase()
            let accounts = Accounts(database: database)
            let id = AccountID(rawValue: account)
            do {
                let transfer = try await accounts.grant(to: id, credits: credits, note: reason)
                let balance = try await accounts.balance(of: id)
                print(try JSONLine.encode([
                    "account": .number(account), "granted": .number(credits), "transfer_id": .string(transfer),
                    "available": .number(balance.available),
                ]))
            } catch let error as LedgerError where error.isUnknownAccount {
                throw ValidationError("no user account \(account)")
            }
        }
    }

    struct Forgive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forgive what an account owes for a refunded or disputed purchase it had spent, so its jobs may start again.")

        @Option(help: "The account id.")
        var account: Int64

        @Option(help: "Why, kept with the debt's record.")
        var reason: String?

        @OptionGroup var data: DataOptions

        func validate() throws {
            if let reason, reason.count > 500 { throw ValidationError("--reason is at most 500 characters") }
        }

        func run() async throws {
            let database = try await data.openDatabase()
            let accounts = Accounts(database: database)
            let id = AccountID(rawValue: account)
            do {
                let forgiven = try await accounts.forgiveDebt(of: id, note: reason)
                print(try JSONLine.encode(["account": .number(account), "forgiven": .number(forgiven)]))
            } catch let error as LedgerError where error.isUnknownAccount {
                throw ValidationError("no user account \(account)")
            }
        }
    }
}
