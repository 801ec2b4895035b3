import AurisTestSupport
import Database
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `/readyz` tells a load balancer whether this server can take work: 503 while the
/// database cannot take a write, 200 again once it can.
@Suite(.timeLimit(.minutes(5))) struct ReadinessTests {
    /// SQLite's single write lock is what this test holds, so it runs on SQLite whatever
    /// backend the run uses.
    @Test("readyz is 503 unavailable while another connection holds the database's write lock")
    func notReadyWhileTheDatabaseIsLocked() async throws {
        let harness = try await APIHarness.make(sqlite: true)
        defer { harness.remove() }
        // The server's own connections give up on a lock after 200 ms instead of 10 s.
        var impatient = SQLiteDatabase.Configuration()
        impatient.busyTimeoutMilliseconds = 200
        let database = try await SQLiteDatabase.open(
            path: harness.store.directory.appending("auris.sqlite"), migrations: [], configuration: impatient)
        let app = try harness.application(database: database)

        // Another connection (the store's) holds the write lock until told to let go.
        let locked = Atomic<Bool>(false)
        let release = Atomic<Bool>(false)
        let holder = Task {
            try await harness.store.database.write { db in
                try db.execute("UPDATE ledger_accounts SET name = name WHERE id = 1")
                locked.store(true, ordering: .sequentiallyConsistent)
                while !release.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
            }
        }
        defer { release.store(true, ordering: .sequentiallyConsistent) }
        try await waitUntil("the write lock to be held", timeoutSeconds: 10) { locked.load(ordering: .sequentiallyConsistent) }

        try await app.test(.router) { client in
            let blocked = try await client.get("/readyz", as: nil)
            #expect(blocked.status == .serviceUnavailable)
            #expect(try blocked.errorCode() == "unavailable")
            #expect(try await client.get("/healthz", as: nil).status == .ok, "alive, only not ready")

            release.store(true, ordering: .sequentiallyConsistent)
            try await holder.value
            let ready = try await client.get("/readyz", as: nil)
            #expect(ready.status == .ok)
            #expect(try ready.json()["database"] as? String == "writable")
        }
    }

    @Test("readyz is 503 unavailable while PostgreSQL refuses this database, 200 again once it takes connections",
          .enabled(if: TestPostgreSQL.serverURL != nil))
    func notReadyWhilePostgreSQLRefusesTheDatabase() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let url = try #require(harness.store.databaseURL)
        let name = try #require(URLComponents(string: url)?.path.dropFirst()).description
        let server = try PostgreSQLURL(try #require(TestPostgreSQL.serverURL))
        let app = try harness.application()

        try await app.test(.router) { client in
            // No new connection to the database, and the server's own ones cut, as when
            // an operator takes it away or the server restarts.
            try await PostgreSQLDatabase.run(script: """
                ALTER DATABASE \(name) ALLOW_CONNECTIONS false;
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid();
                """, at: server)
            let blocked = try await client.get("/readyz", as: nil)
            #expect(blocked.status == .serviceUnavailable)
            #expect(try blocked.errorCode() == "unavailable")
            #expect(try await client.get("/healthz", as: nil).status == .ok, "alive, only not ready")

            try await PostgreSQLDatabase.run(script: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true", at: server)
            let ready = try await client.get("/readyz", as: nil)
            #expect(ready.status == .ok)
            #expect(try ready.json()["database"] as? String == "writable")
        }
    }
}
