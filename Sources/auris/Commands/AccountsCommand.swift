import ArgumentParser
import Billing
import Foundation

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Manage user accounts.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account and print its id and API key as JSON (the key is shown once).")

        @Option(help: "A name for the account.")
        var name: String

        @Option(help: "Credits to start with (env: AURIS_SIGNUP_CREDITS; default 10).")
        var credits: Int64?

        @OptionGroup var data: DataOptions

        func run() async throws {
            let signupCredits = try Setting.integer(
                flag: credits, flagName: "--credits", variable: "AURIS_SIGNUP_CREDITS", in: 0...1_000_000) ?? 10
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= 200 else {
                throw ValidationError("--name must be 1 to 200 characters")
            }
            let database = try await data.openDatabase()
            let created = try await Accounts(database: database).create(name: trimmed, signupCredits: signupCredits)
            print(try JSONLine.encode(["id": .number(created.id.rawValue), "api_key": .string(created.apiKey)]))
        }
    }
}

/// One JSON object on one line, keys sorted, for scripts to read.
enum JSONLine {
    enum Value: Encodable {
        case string(String), number(Int64), bool(Bool)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }

    static func encode(_ object: [String: Value]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(object), as: UTF8.self)
    }
}
