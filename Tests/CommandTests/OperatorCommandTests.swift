import AurisTestSupport
import Billing
import Database
import Foundation
import Queue
import Testing

/// The `auris` commands an operator runs, as processes, on a data folder of their own.
@Suite struct OperatorCommandTests {
    func auris(_ arguments: [String], dataDirectory: String) async throws -> ProcessResult {
        try await runProcess(try ExecutableLocator.path(of: "auris"), arguments, environment: ["AURIS_DATA_DIR": dataDirectory])
    }

    @Test func accountsCreditsJobsAndLedgerVerify() async throws {
        let directory = try TemporaryDirectory("auris-cli")
        defer { directory.remove() }
        let created = try await auris(["accounts", "create", "--name", "Ada", "--credits", "12"], dataDirectory: directory.path)
        #expect(created.status == 0, "\(created.standardError)")
        let account = try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any] ?? [:]
        let id = try #require(account["id"] as? Int)
        let key = try #require(account["api_key"] as? String)
        #expect(key.hasPrefix("ak_"))
        let databaseBytes = try Data(contentsOf: URL(fileURLWithPath: directory.appending("auris.sqlite")))
        #expect(databaseBytes.range(of: Data(key.utf8)) == nil, "the key is stored only as a hash")

        let granted = try await auris(["credits", "grant", "--account", "\(id)", "--credits", "5", "--reason", "goodwill"], dataDirectory: directory.path)
        #expect(granted.status == 0 && granted.standardOutput.contains("\"available\":17"), "\(granted.standardOutput)\(granted.standardError)")
        let unknown = try await auris(["credits", "grant", "--account", "999", "--credits", "5"], dataDirectory: directory.path)
        #expect(unknown.status != 0 && unknown.standardError.contains("no user account 999"))
        let negative = try await auris(["credits", "grant", "--account", "\(id)", "--credits", "0"], dataDirectory: directory.path)
        #expect(negative.status != 0)

        let database = try await AurisStore.open(dataDirectory: directory.path)
        let job = try await JobQueue(database: database).enqueue(EnqueueRequest(
            account: AccountID(rawValue: Int64(id)), credits: 2, durationMilliseconds: 15_000, payload: "{}")).job
        let listed = try await auris(["jobs", "list", "--status", "queued"], dataDirectory: directory.path)
        #expect(listed.status == 0 && listed.standardOutput.contains(job.id))
        let none = try await auris(["jobs", "list", "--status", "succeeded"], dataDirectory: directory.path)
        #expect(none.standardOutput.contains("(no jobs)"))
        let badStatus = try await auris(["jobs", "list", "--status", "done"], dataDirectory: directory.path)
        #expect(badStatus.status != 0)

        let verified = try await auris(["ledger", "verify"], dataDirectory: directory.path)
        #expect(verified.status == 0, "\(verified.standardError)")
        _ = try await database.write { db in
            try db.execute("UPDATE ledger_accounts SET debits_pending = 0 WHERE id = ?", Int64(id))
        }
        let tampered = try await auris(["ledger", "verify"], dataDirectory: directory.path)
        #expect(tampered.status == 1)
        #expect(tampered.standardError.contains("invariant 2"))
        #expect(tampered.standardError.contains("invariant 4") || tampered.standardError.contains("invariant 1"))
    }

    @Test func probeMeasuresOrRefusesAFile() async throws {
        let directory = try TemporaryDirectory("auris-cli-probe")
        defer { directory.remove() }
        let clip = directory.appending("clip.wav")
        let made = try await runProcess("/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=10.01:sample_rate=8000", clip,
        ])
        #expect(made.status == 0)
        let probed = try await auris(["probe", clip, "--json"], dataDirectory: directory.path)
        #expect(probed.status == 0)
        let info = try JSONSerialization.jsonObject(with: Data(probed.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(info["credits"] as? Int == 2)
        let text = directory.appending("notes.txt")
        try "not audio".write(toFile: text, atomically: true, encoding: .utf8)
        let refused = try await auris(["probe", text], dataDirectory: directory.path)
        #expect(refused.status == 1 && refused.standardError.hasPrefix("auris probe: "))
    }
}
