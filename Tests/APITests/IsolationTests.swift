import API
import AurisTestSupport
import Billing
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Testing

/// One account never sees, downloads or cancels another's job: 404 on every route,
/// never 403, and the list shows only its own jobs.
@Suite(.timeLimit(.minutes(5))) struct IsolationTests {
    @Test("Bob gets 404 for Alice's job on status, result and cancel, and does not list it")
    func otherAccountsJob() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let aliceJob = try await JobRoutesTests.accept(client, harness)
            let bobUpload = try await client.upload(.upload(audio: try await AudioFixtures.wavBytes(seconds: 3)), as: harness.bob)
            let bobJob = try #require(try bobUpload.json()["id"] as? String)

            try await harness.expectNothingChanged {
                for uri in ["/api/dub/\(aliceJob)", "/api/dub/\(aliceJob)/result"] {
                    let response = try await client.get(uri, as: harness.bob)
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(try response.errorCode() == "not_found")
                }
                let cancel = try await client.execute(uri: "/api/dub/\(aliceJob)", method: .delete, headers: harness.bob.bearer)
                #expect(cancel.status == .notFound)
                let cursor = try await client.get("/api/dub?cursor=\(aliceJob)", as: harness.bob)
                #expect(cursor.status == .notFound, "another account's job is no cursor either: as if it did not exist")
            }
            let bobList = try await client.get("/api/dub", as: harness.bob).json()
            #expect((bobList["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [bobJob])
            let aliceList = try await client.get("/api/dub", as: harness.alice).json()
            #expect((aliceList["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [aliceJob])
            #expect(try await harness.queue.job(id: aliceJob)?.state == .queued, "Bob's cancel did nothing")
        }
    }

    @Test("a finished job of another account is 404 too, not 409 or 410")
    func otherAccountsFinishedJob() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let aliceJob = try await JobRoutesTests.accept(client, harness)
            let claimed = try #require(try await harness.queue.claim(owner: "w"))
            #expect(claimed.id == aliceJob)
            _ = try await harness.queue.succeed(claimed.claim)
            #expect(try await client.get("/api/dub/\(aliceJob)/result", as: harness.bob).status == .notFound)
            let cancel = try await client.execute(uri: "/api/dub/\(aliceJob)", method: .delete, headers: harness.bob.bearer)
            #expect(cancel.status == .notFound)
        }
    }
}
