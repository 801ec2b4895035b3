import AurisTestSupport
import Billing
import Database
import Foundation
import Queue
import Testing

/// `auris credits forgive`: an operator clears what an account owes for a refunded or
/// disputed purchase it had spent, and its jobs may start again.
@Suite struct DebtCommandTests {
    @Test func forgivingADebtLetsTheAccountQueueAgain() async throws {
        let store = try await TestStore.make("auris-cli-debt")
        defer { store.directory.remove() }
        let database = store.database
        let accounts = Accounts(database: database)
        let user = try await accounts.create(name: "Ada", signupCredits: 4)
        _ = try await database.write { db in
            try Ledger(db).reverse(id: "refund:cs_test:60", account: user.id, credits: 10, reason: .refund, reference: "cs_test", at: 1)
        }
        let owed = try await accounts.balance(of: user.id)
        #expect(owed.available == 0 && owed.debt == 6)
        let queue = JobQueue(database: database)
        let job = EnqueueRequest(account: user.id, credits: 1, durationMilliseconds: 1_000, payload: "{}")
        await #expect(throws: LedgerError.accountInDebt(credits: 6)) { try await queue.enqueue(job) }

        let environment = store.environment
        let auris = try ExecutableLocator.path(of: "auris")
        let forgiven = try await runProcess(auris, ["credits", "forgive", "--account", "\(user.id.rawValue)", "--reason", "goodwill"], environment: environment)
        #expect(forgiven.status == 0, "\(forgiven.standardError)")
        #expect(forgiven.standardOutput.contains(#""forgiven":6"#), "\(forgiven.standardOutput)")
        #expect(try await accounts.balance(of: user.id).debt == 0)
        _ = try await accounts.grant(to: user.id, credits: 1, note: nil)
        _ = try await queue.enqueue(job)

        let unknown = try await runProcess(auris, ["credits", "forgive", "--account", "999"], environment: environment)
        #expect(unknown.status != 0 && unknown.standardError.contains("no user account 999"))
        let system = try await runProcess(auris, ["credits", "forgive", "--account", "2"], environment: environment)
        #expect(system.status != 0 && system.standardError.contains("no user account 2"), "\(system.standardError)")
        let verified = try await runProcess(auris, ["ledger", "verify"], environment: environment)
        #expect(verified.status == 0, "\(verified.standardError)")
    }
}
