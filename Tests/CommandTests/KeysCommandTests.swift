import AurisTestSupport
import Billing
import Database
import Foundation
import Testing

/// `auris keys create|list|revoke --account ID`, as processes on a store of their own.
@Suite(.timeLimit(.minutes(5))) struct KeysCommandTests {
    func auris(_ arguments: [String], on store: TestStore) async throws -> ProcessResult {
        try await runProcess(try ExecutableLocator.path(of: "auris"), arguments, environment: store.environment)
    }

    @Test("an operator creates a key (printed once, stored hashed), lists it by prefix, and revokes it: it stops working")
    func createListRevoke() async throws {
        let store = try await TestStore.make("auris-keys")
        defer { store.directory.remove() }
        let account = try await store.accounts.create(name: "ada", signupCredits: 1)

        let created = try await auris(["keys", "create", "--account", "\(account.id.rawValue)", "--name", "backup job"], on: store)
        #expect(created.status == 0, "\(created.standardError)")
        let printed = try OperatorCommandTests.json(created.standardOutput)
        let key = try #require(printed["api_key"] as? String)
        let id = try #require(printed["id"] as? String)
        #expect(printed["name"] as? String == "backup job")
        #expect(try await store.accounts.authenticate(apiKey: key) == account.id)
        #expect(try await !OperatorCommandTests.storesInPlain(key, store))

        let listed = try await auris(["keys", "list", "--account", "\(account.id.rawValue)"], on: store)
        #expect(listed.status == 0)
        #expect(!listed.standardOutput.contains(key))
        let lines = listed.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "the account's first key and the new one")
        #expect(try lines.map { try OperatorCommandTests.json($0)["id"] as? String }.contains(id))
        #expect(try lines.contains { try OperatorCommandTests.json($0)["prefix"] as? String == String(key.prefix(7)) })

        let revoked = try await auris(["keys", "revoke", "--account", "\(account.id.rawValue)", "--key", id], on: store)
        #expect(revoked.status == 0, "\(revoked.standardError)")
        #expect(try await store.accounts.authenticate(apiKey: key) == nil)
        #expect(try await store.accounts.authenticate(apiKey: account.apiKey) == account.id, "the other key still works")

        let again = try await auris(["keys", "revoke", "--account", "\(account.id.rawValue)", "--key", id], on: store)
        #expect(again.status != 0)
        #expect(again.standardError.contains("has no live key"))
        let unknown = try await auris(["keys", "list", "--account", "999"], on: store)
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("no user account 999"))
        let system = try await auris(["keys", "create", "--account", "3", "--name", "ledger"], on: store)
        #expect(system.status != 0 && system.standardError.contains("no user account 3"), "\(system.standardError)")
    }
}
