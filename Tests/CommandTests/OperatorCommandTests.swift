import AurisTestSupport
import Billing
import Database
import Foundation
import Queue
import Testing

/// The `auris` commands an operator runs, as processes, on a data folder of their own:
/// each checked by what it prints and by what it did to the database.
@Suite(.timeLimit(.minutes(5))) struct OperatorCommandTests {
    /// `auris` on `store`'s database, as an operator's shell with its variables runs it.
    func auris(_ arguments: [String], on store: TestStore) async throws -> ProcessResult {
        try await runProcess(try ExecutableLocator.path(of: "auris"), arguments, environment: store.environment)
    }

    /// `auris` with a data folder and no database, for commands that open none.
    func auris(_ arguments: [String], dataDirectory: String) async throws -> ProcessResult {
        try await runProcess(try ExecutableLocator.path(of: "auris"), arguments, environment: ["AURIS_DATA_DIR": dataDirectory])
    }

    /// Whether `text` is stored in plain: anywhere in the SQLite file or its WAL, or on
    /// PostgreSQL in any row of the tables that hold accounts and their keys.
    ///
    /// The SQLite files are read by a child process: opening and closing the database file
    /// here would drop every POSIX lock this process's connections hold on it, after which
    /// another process may delete the WAL under them and they read a stale snapshot
    /// (SQLite's "How To Corrupt", 2.2). That made a revoked key look live, once in a while.
    static func storesInPlain(_ text: String, _ store: TestStore) async throws -> Bool {
        guard store.databaseURL != nil else {
            let files = ["auris.sqlite", "auris.sqlite-wal"].map(store.directory.appending)
                .filter { FileManager.default.fileExists(atPath: $0) }
            let grep = try await runProcess("/usr/bin/env", ["grep", "--quiet", "--text", "--fixed-strings", "--", text] + files)
            try #require(grep.status == 0 || grep.status == 1, "grep failed: \(grep.standardError)")
            return grep.status == 0
        }
        let found = try await store.database.read { db in
            try db.queryFirst(
                """
                SELECT (SELECT count(*) FROM api_keys k WHERE strpos(CAST(k AS TEXT), ?) > 0)
                    + (SELECT count(*) FROM ledger_accounts a WHERE strpos(CAST(a AS TEXT), ?) > 0) AS found
                """, text, text) { row in row["found"] as Int64 }
        }
        return found != 0
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// How many ledger transfers exist: a refused command adds none.
    static func transferCount(_ database: any SQLDatabase) async throws -> Int64 {
        try await database.read { db in try db.queryFirst("SELECT count(*) AS transfers FROM ledger_transfers") { row in row["transfers"] as Int64 } } ?? -1
    }

    @Test func accountsCreateStoresTheAccountWithItsCreditsAndAHashedKey() async throws {
        let store = try await TestStore.make("auris-cli")
        defer { store.directory.remove() }
        let created = try await auris(["accounts", "create", "--name", "Ada", "--credits", "12"], on: store)
        #expect(created.status == 0, "\(created.standardError)")
        let account = try Self.json(created.standardOutput)
        let id = try #require(account["id"] as? Int)
        let key = try #require(account["api_key"] as? String)
        #expect(key.hasPrefix("ak_"))
        #expect(try await !Self.storesInPlain(key, store), "the key is stored only as a hash")

        let database = store.database
        let accounts = Accounts(database: database)
        #expect(try await accounts.authenticate(apiKey: key) == AccountID(rawValue: Int64(id)), "the printed key opens the printed account")
        #expect(try await accounts.balance(of: AccountID(rawValue: Int64(id))) == Balance(available: 12, held: 0, received: 12, spent: 0))
        let name = try await database.read { db in
            try db.queryFirst("SELECT name FROM ledger_accounts WHERE id = ?", Int64(id)) { row in row["name"] as String }
        }
        #expect(name == "Ada")

        let unnamed = try await auris(["accounts", "create", "--name", "  ", "--credits", "1"], on: store)
        #expect(unnamed.status != 0 && unnamed.standardError.contains("--name must be 1 to 200 characters"), "\(unnamed.standardError)")
        #expect(try await Self.transferCount(database) == 1, "only Ada's signup grant")
    }

    @Test func creditsGrantMovesCreditsThroughTheLedgerOrRefusesWithAReason() async throws {
        let store = try await TestStore.make("auris-cli")
        defer { store.directory.remove() }
        let database = store.database
        let accounts = Accounts(database: database)
        let id = try await accounts.create(name: "Ada", signupCredits: 12).id

        let granted = try await auris(
            ["credits", "grant", "--account", "\(id.rawValue)", "--credits", "5", "--reason", "goodwill"], on: store)
        #expect(granted.status == 0, "\(granted.standardError)")
        let output = try Self.json(granted.standardOutput)
        #expect(output["available"] as? Int == 17 && output["granted"] as? Int == 5 && output["account"] as? Int == Int(id.rawValue))
        #expect(try await accounts.balance(of: id) == Balance(available: 17, held: 0, received: 17, spent: 0))
        let (_, history) = try await accounts.statement(of: id, historyLimit: 10)
        #expect(history.first?.reason == .adminGrant && history.first?.note == "goodwill")
        #expect(history.first?.transferID == output["transfer_id"] as? String)

        let transfers = try await Self.transferCount(database)
        let unknown = try await auris(["credits", "grant", "--account", "999", "--credits", "5"], on: store)
        #expect(unknown.status != 0 && unknown.standardError.contains("no user account 999"), "\(unknown.standardError)")
        // The ledger's own accounts (purchases, grants, consumed) are not a customer's: a
        // typo naming one is refused like an unknown id, not a crash.
        for system in ["1", "2", "3"] {
            let refused = try await auris(["credits", "grant", "--account", system, "--credits", "5"], on: store)
            #expect(refused.status != 0 && refused.standardError.contains("no user account \(system)"), "\(refused.standardError)")
        }
        let zero = try await auris(["credits", "grant", "--account", "\(id.rawValue)", "--credits", "0"], on: store)
        #expect(zero.status != 0 && zero.standardError.contains("--credits must be between 1 and 1000000"), "\(zero.standardError)")
        #expect(zero.standardOutput.isEmpty && unknown.standardOutput.isEmpty)
        #expect(try await Self.transferCount(database) == transfers, "a refused grant moves nothing")
        #expect(try await accounts.balance(of: id).available == 17)
    }

    @Test func jobsListShowsTheQueueByState() async throws {
        let store = try await TestStore.make("auris-cli")
        defer { store.directory.remove() }
        let database = store.database
        let id = try await Accounts(database: database).create(name: "Ada", signupCredits: 10).id
        let job = try await JobQueue(database: database).enqueue(EnqueueRequest(
            account: id, credits: 2, durationMilliseconds: 15_000, payload: "{}")).job

        let listed = try await auris(["jobs", "list", "--status", "queued"], on: store)
        #expect(listed.status == 0, "\(listed.standardError)")
        let row = try #require(listed.standardOutput.split(separator: "\n").first { $0.hasPrefix(job.id) }, "\(listed.standardOutput)")
        let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(Array(cells.prefix(7)) == [job.id, "\(id)", "queued", "-", "0%", "0/\(job.maxAttempts)", "2"], "\(row)")
        let none = try await auris(["jobs", "list", "--status", "succeeded"], on: store)
        #expect(none.status == 0 && none.standardOutput.contains("(no jobs)") && !none.standardOutput.contains(job.id))
        let badStatus = try await auris(["jobs", "list", "--status", "done"], on: store)
        #expect(badStatus.status != 0 && badStatus.standardError.contains("--status must be one of queued, running"), "\(badStatus.standardError)")
    }

    @Test func ledgerVerifyPassesASoundLedgerAndNamesEachBrokenInvariant() async throws {
        let store = try await TestStore.make("auris-cli")
        defer { store.directory.remove() }
        let database = store.database
        let id = try await Accounts(database: database).create(name: "Ada", signupCredits: 10).id
        _ = try await JobQueue(database: database).enqueue(EnqueueRequest(
            account: id, credits: 2, durationMilliseconds: 15_000, payload: "{}"))

        let verified = try await auris(["ledger", "verify"], on: store)
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput == "ledger verify: ok, all invariants hold\n" && verified.standardError.isEmpty)
        _ = try await database.write { db in
            try db.execute("UPDATE ledger_accounts SET debits_pending = 0 WHERE id = ?", id.rawValue)
        }
        let tampered = try await auris(["ledger", "verify"], on: store)
        #expect(tampered.status == 1)
        #expect(tampered.standardOutput.isEmpty)
        let lines = tampered.standardError.split(separator: "\n").map(String.init)
        // The cached balance lost its pending debit: it no longer matches its transfers (2).
        #expect(lines.contains { $0.hasPrefix("ledger verify: invariant 2: account \(id) caches debits 0 pending") }, "\(lines)")
        #expect(lines.last == "ledger verify: 1 violation(s)", "\(lines)")
    }

    @Test func probeMeasuresOrRefusesAFile() async throws {
        let directory = try TemporaryDirectory("auris-cli-probe")
        defer { directory.remove() }
        let clip = try await Tone(seconds: 10.01, sampleRate: 8_000).write(to: directory.appending("clip.wav"))
        let probed = try await auris(["probe", clip, "--json"], dataDirectory: directory.path)
        #expect(probed.status == 0, "\(probed.standardError)")
        let info = try Self.json(probed.standardOutput)
        #expect(info["credits"] as? Int == 2)
        #expect(info["duration_ms"] as? Int == 10_010)
        #expect(info["format"] as? String == "wav")
        let streams = try #require(info["streams"] as? [[String: Any]])
        #expect(streams.count == 1 && streams.first?["sample_rate"] as? Int == 8_000 && streams.first?["measured"] as? Bool == true)
        let text = try await auris(["probe", clip], dataDirectory: directory.path)
        #expect(text.standardOutput.contains("duration_seconds: 10.010\n") && text.standardOutput.contains("credits: 2"), "\(text.standardOutput)")

        let notes = try directory.write("not audio", to: "notes.txt")
        let refused = try await auris(["probe", notes], dataDirectory: directory.path)
        #expect(refused.status == 1 && refused.standardError.hasPrefix("auris probe: "))
        #expect(refused.standardOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.appending("auris.sqlite")), "probe opens no database")
    }
}
