import AurisTestSupport
@testable import Billing
import Database
import Testing

@Suite(.timeLimit(.minutes(5))) struct LedgerTests {
    @Test func holdPostAndVoidMoveCreditsOnce() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let now = store.clock.nowMilliseconds
        let outcomes = try await store.database.write { db in
            let ledger = Ledger(db)
            try ledger.hold(id: "h1", account: user, amount: 3, reference: "job1", at: now)
            try ledger.hold(id: "h2", account: user, amount: 4, reference: "job2", at: now)
            let held = try ledger.balance(of: user)
            let first = try ledger.post(holdID: "h1", at: now)
            let again = try ledger.post(holdID: "h1", at: now)
            let voidAfterPost = try ledger.void(holdID: "h1", at: now)
            let void = try ledger.void(holdID: "h2", at: now)
            let postAfterVoid = try ledger.post(holdID: "h2", at: now)
            return (held, [first, again, voidAfterPost, void, postAfterVoid], try ledger.balance(of: user))
        }
        #expect(outcomes.0 == Balance(available: 3, held: 7, received: 10, spent: 0))
        #expect(outcomes.1 == [.posted, .alreadyPosted, .alreadyPosted, .voided, .alreadyVoided])
        #expect(outcomes.2 == Balance(available: 7, held: 0, received: 10, spent: 3))
        #expect(try await store.violations() == [])
    }

    @Test func aHoldBeyondTheBalanceIsRefusedWithTheNumbers() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 5).id
        let now = store.clock.nowMilliseconds
        do {
            try await store.database.write { db in
                try Ledger(db).hold(id: "h1", account: user, amount: 6, reference: nil, at: now)
            }
            Issue.record("an overspending hold was accepted")
        } catch let error as LedgerError {
            #expect(error.shortfall?.required == 6)
            #expect(error.shortfall?.available == 5)
        }
        #expect(try await store.accounts.balance(of: user).available == 5)
    }

    @Test func theSchemaItselfRefusesANegativeUser() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 2).id
        // The CHECK itself, not any database error (a typo in the SQL would be one too).
        let error = await #expect(throws: DatabaseError.self) {
            try await store.database.write { db in
                try db.execute("UPDATE ledger_accounts SET debits_pending = 3 WHERE id = ?", user.rawValue)
            }
        }
        #expect(error?.isCheckViolation == true, "\(String(describing: error))")
        #expect(try await store.accounts.balance(of: user).available == 2)
        // Up to the balance is allowed: the CHECK draws the line at zero, not before it.
        _ = try await store.database.write { db in
            try db.execute("UPDATE ledger_accounts SET debits_pending = 2 WHERE id = ?", user.rawValue)
        }
    }

    @Test func grantsAreIdempotentByTransferID() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 0).id
        let now = store.clock.nowMilliseconds
        let results = try await store.database.write { db in
            let ledger = Ledger(db)
            return [
                try ledger.grant(id: "purchase:cs_1", to: user, from: .purchases, amount: 15, reason: .purchase, at: now),
                try ledger.grant(id: "purchase:cs_1", to: user, from: .purchases, amount: 15, reason: .purchase, at: now),
            ]
        }
        #expect(results == [true, false])
        await #expect(throws: LedgerError.self) {
            try await store.database.write { db in
                try Ledger(db).grant(id: "purchase:cs_1", to: user, from: .purchases, amount: 60, reason: .purchase, at: now)
            }
        }
        #expect(try await store.accounts.balance(of: user).available == 15)
    }

    @Test func transfersAreImmutable() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        // Refused by the immutability triggers, not by any other error.
        for statement in ["UPDATE ledger_transfers SET amount = 1000", "DELETE FROM ledger_transfers"] {
            let error = await #expect(throws: DatabaseError.self) {
                try await store.database.write { db in try db.execute(statement) }
            }
            #expect(error?.isConstraintViolation == true && error?.message == "ledger transfers are immutable", "\(String(describing: error))")
        }
        #expect(try await store.accounts.balance(of: user).available == 10)
    }

    @Test func historyNamesEveryMovement() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        try await store.accounts.grant(to: user, credits: 5, note: "support ticket 12")
        let now = store.clock.nowMilliseconds
        try await store.database.write { db in
            let ledger = Ledger(db)
            try ledger.hold(id: "hold:a", account: user, amount: 2, reference: "a", at: now)
            try ledger.post(holdID: "hold:a", at: now + 1)
            try ledger.hold(id: "hold:b", account: user, amount: 3, reference: "b", at: now + 2)
            try ledger.void(holdID: "hold:b", at: now + 3)
        }
        let (balance, history) = try await store.accounts.statement(of: user, historyLimit: 100)
        #expect(balance.available == 13)
        #expect(history.map(\.reason) == [.jobRelease, .jobHold, .jobCapture, .jobHold, .adminGrant, .signup])
        #expect(history.map(\.availableChange) == [3, -3, 0, -2, 5, 10])
        #expect(history.first { $0.reason == .adminGrant }?.note == "support ticket 12")
    }

    /// Both sides of the account (grants credit it, holds debit it) are merged newest first,
    /// movements made in the same millisecond in the order they were made, and cut at the limit.
    @Test func historyIsTheNewestMovementsOfBothSidesUpToTheLimit() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        let now = store.clock.nowMilliseconds
        try await store.database.write { db in
            let ledger = Ledger(db)
            for index in 0..<6 {
                try ledger.hold(id: "hold:\(index)", account: user, amount: 1, reference: "\(index)", at: now + 1 + Int64(index / 2))
                try ledger.void(holdID: "hold:\(index)", at: now + 1 + Int64(index / 2))
            }
            try ledger.grant(id: "grant:latest", to: user, from: .grants, amount: 5, reason: .adminGrant, note: "latest", at: now + 10)
        }
        let (_, history) = try await store.accounts.statement(of: user, historyLimit: 4)
        #expect(history.map(\.note) == ["latest", nil, nil, nil])
        #expect(history.dropFirst().map(\.transferID) == ["hold:5:void", "hold:5", "hold:4:void"])
    }

    @Test func verifyNamesATamperedLedger() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        #expect(try await store.violations() == [])
        _ = try await store.database.write { db in
            try db.execute("UPDATE ledger_accounts SET credits_posted = credits_posted + 100 WHERE id = ?", user.rawValue)
        }
        let violations = try await store.violations()
        #expect(violations.count == 1 && violations.allSatisfy { $0.hasPrefix("invariant 2") && $0.contains("account \(user)") })
    }

    @Test func verifyNamesATransferWithoutBalances() async throws {
        let store = try await TestStore.make()
        defer { store.directory.remove() }
        let user = try await store.accounts.create(name: "Ada", signupCredits: 10).id
        _ = try await store.database.write { db in
            try db.execute(
                """
                INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, phase, reason, created_at_ms)
                VALUES ('forged', 1, ?, 500, 'single', 'purchase', 0)
                """, user.rawValue)
        }
        let violations = try await store.violations()
        #expect(violations.contains { $0.hasPrefix("invariant 2") })
        #expect(violations.contains { $0.hasPrefix("invariant 5") && $0.contains("forged") })
    }
}
