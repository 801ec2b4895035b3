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

        @OptionGroup var target: AccountMovementOptions

        @Option(help: "How many credits (1 to 1000000).")
        var credits: Int64

        func validate() throws {
            guard (1...1_000_000).contains(credits) else { throw ValidationError("--credits must be between 1 and 1000000") }
        }

        func run() async throws {
            try await target.withAccount { accounts, id in
                let transfer = try await accounts.grant(to: id, credits: credits, note: target.reason)
                let balance = try await accounts.balance(of: id)
                print(try JSONLine.encode([
                    "account": .number(id.rawValue), "granted": .number(credits), "transfer_id": .string(transfer),
                    "available": .number(balance.available),
                ]))
            }
        }
    }

    struct Forgive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forgive what an account owes for a refunded or disputed purchase it had spent, so its jobs may start again.")

        @OptionGroup var target: AccountMovementOptions

        func run() async throws {
            try await target.withAccount { accounts, id in
                let forgiven = try await accounts.forgiveDebt(of: id, note: target.reason)
                print(try JSONLine.encode(["account": .number(id.rawValue), "forgiven": .number(forgiven)]))
            }
        }
    }
}

/// `--account ID [--reason TEXT]` and the data folder, for commands that move an
/// account's credits or debt.
struct AccountMovementOptions: ParsableArguments {
    @Option(help: "The account id.")
    var account: Int64

    @Option(help: "Why, kept with the movement (at most 500 characters).")
    var reason: String?

    @OptionGroup var data: DataOptions

    func validate() throws {
        if let reason, reason.count > 500 { throw ValidationError("--reason is at most 500 characters") }
    }

    /// Runs `body` on the account's ledger; an unknown account is a usage error.
    func withAccount(_ body: (Accounts, AccountID) async throws -> Void) async throws {
        try await data.withAccount(account, body)
    }
}

extension DataOptions {
    /// Runs `body` on `account` in this data folder's database; an unknown account is a
    /// usage error.
    func withAccount(_ account: Int64, _ body: (Accounts, AccountID) async throws -> Void) async throws {
        let accounts = Accounts(database: try await openDatabase())
        do {
            try await body(accounts, AccountID(rawValue: account))
        } catch let error as LedgerError where error.isUnknownAccount {
            throw ValidationError("no user account \(account)")
        }
    }
}
