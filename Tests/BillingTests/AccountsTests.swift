import AurisTestSupport
import Billing
import Database
import Testing

@Suite(.timeLimit(.minutes(5))) struct AccountsTests {
    @Test func anAPIKeyAuthenticatesItsAccountOnly() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let ada = try await store.accounts.create(name: "Ada", signupCredits: 10)
        let bob = try await store.accounts.create(name: "Bob", signupCredits: 0)
        #expect(ada.apiKey.hasPrefix("ak_") && ada.apiKey.count == 43)
        #expect(ada.apiKey != bob.apiKey)
        #expect(try await store.accounts.authenticate(apiKey: ada.apiKey) == ada.id)
        #expect(try await store.accounts.authenticate(apiKey: bob.apiKey) == bob.id)
        var wrong = Array(ada.apiKey)
        wrong[wrong.count - 1] = wrong.last == "A" ? "B" : "A"
        #expect(try await store.accounts.authenticate(apiKey: String(wrong)) == nil)
        #expect(try await store.accounts.authenticate(apiKey: "") == nil)
        #expect(try await store.accounts.authenticate(apiKey: "Bearer " + ada.apiKey) == nil)
        #expect(try await store.accounts.balance(of: ada.id).available == 10)
        #expect(try await store.accounts.balance(of: bob.id).available == 0)
    }

    @Test func keysAreStoredHashed() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let ada = try await store.accounts.create(name: "Ada", signupCredits: 1)
        let stored = try await store.database.read { db in
            try db.query("SELECT key_hash FROM api_keys") { row in row["key_hash"] as String }
        }
        #expect(stored.count == 1)
        #expect(stored[0].count == 64)
        #expect(!stored[0].contains(ada.apiKey.dropFirst(3)))
    }

    @Test func creditsFollowStartedTenSeconds() {
        #expect(CreditPricing.credits(forDurationMilliseconds: 0) == 1)
        #expect(CreditPricing.credits(forDurationMilliseconds: 1) == 1)
        #expect(CreditPricing.credits(forDurationMilliseconds: 9_990) == 1)
        #expect(CreditPricing.credits(forDurationMilliseconds: 10_000) == 1)
        #expect(CreditPricing.credits(forDurationMilliseconds: 10_010) == 2)
        #expect(CreditPricing.credits(forDurationMilliseconds: 3_600_000) == 360)
    }
}
