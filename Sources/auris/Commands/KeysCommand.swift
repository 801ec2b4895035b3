import ArgumentParser
import Billing
import Foundation

/// `auris keys create|list|revoke --account ID`: an account's API keys, as the web app's
/// keys page manages them.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage an account's API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it as JSON (the key is shown once).")

        @OptionGroup var target: KeyAccountOptions

        @Option(help: "A name to recognise the key by (1 to 100 characters).")
        var name: String = "cli"

        func validate() throws {
            guard (1...100).contains(name.trimmingCharacters(in: .whitespacesAndNewlines).count) else {
                throw ValidationError("--name must be 1 to 100 characters")
            }
        }

        func run() async throws {
            try await target.withAccount { accounts, id in
                let created = try await accounts.createKey(for: id, name: name.trimmingCharacters(in: .whitespacesAndNewlines))
                var line = KeysCommand.fields(created.summary)
                line["api_key"] = .string(created.apiKey)
                line["account"] = .number(id.rawValue)
                print(try JSONLine.encode(line))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the account's live keys, newest first: one JSON object a line (never the keys themselves).")

        @OptionGroup var target: KeyAccountOptions

        func run() async throws {
            try await target.withAccount { accounts, id in
                for key in try await accounts.keys(of: id) { print(try JSONLine.encode(KeysCommand.fields(key))) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: every server refuses it from now on. Exit 1 when the account has no such live key.")

        @OptionGroup var target: KeyAccountOptions

        @Option(help: "The key's id (key_…), as `auris keys list` shows it.")
        var key: String

        func run() async throws {
            try await target.withAccount { accounts, id in
                guard try await accounts.revokeKey(key, of: id) else {
                    throw ValidationError("account \(id.rawValue) has no live key \(key)")
                }
                print(try JSONLine.encode(["id": .string(key), "revoked": .bool(true)]))
            }
        }
    }

    static func fields(_ key: Accounts.KeySummary) -> [String: JSONLine.Value] {
        var fields: [String: JSONLine.Value] = [
            "id": .string(key.id), "name": .string(key.name), "prefix": .string(key.prefix),
            "created_at_ms": .number(key.createdAtMilliseconds),
        ]
        if let used = key.lastUsedAtMilliseconds { fields["last_used_at_ms"] = .number(used) }
        return fields
    }
}

/// `--account ID` and the data folder, for the key commands.
struct KeyAccountOptions: ParsableArguments {
    @Option(help: "The account id.")
    var account: Int64

    @OptionGroup var data: DataOptions

    func withAccount(_ body: (Accounts, AccountID) async throws -> Void) async throws {
        try await data.withAccount(account, body)
    }
}
