import AurisTestSupport
import Billing
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Completion webhooks through real processes: `auris up`, its worker killed with
/// SIGKILL in the middle of delivering a finished job's event.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WebhookSystemTests {
    @Test func aWorkerKilledMidDeliveryLeavesTheEventToItsReplacement() async throws {
        let store = try await TestStore.make("auris-system-hooks")
        let fake = FakeOpenAIServer()
        _ = try await fake.start()
        // The first attempt waits for its answer long enough for the test to kill its sender.
        let receiver = WebhookReceiver(answers: [200], holdFirstMilliseconds: 30_000)
        let receiverPort = try await receiver.start()
        defer { store.directory.remove() }
        let created = try await Accounts(database: store.database).create(name: "hooks", signupCredits: 10)
        let environment = store.environment.merging([
            "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL, "AURIS_LEASE_SECONDS": "4",
            "AURIS_POLL_MS": "100", "AURIS_WEBHOOK_ALLOW_PRIVATE": "1", "AURIS_WEBHOOK_TIMEOUT_SECONDS": "2",
        ]) { $1 }
        let up = try await AurisUp.start(dataDirectory: store.directory.path, workers: 1, environment: environment)
        let client = APIClient(baseURL: up.baseURL, apiKey: created.apiKey)

        let (registered, endpointData) = try await client.send(
            method: "POST", path: "/api/webhooks", body: Data(#"{"url":"http://127.0.0.1:\#(receiverPort)/hook"}"#.utf8),
            contentType: "application/json")
        #expect(registered == 201, "\(String(decoding: endpointData, as: UTF8.self))")
        let secret = try #require(try JSONSerialization.jsonObject(with: endpointData) as? [String: Any])["secret"] as? String
        let clip = try await Tone(seconds: 3, sampleRate: 16_000, frequency: 330).write(to: store.directory.appending("clip.wav"))
        let (_, accepted) = try await client.dub(file: clip, fields: ["target_language": "fr"])
        let jobID = try #require(accepted["id"] as? String)
        let job = try await client.waitForJob(jobID)
        #expect(job["status"] as? String == "succeeded", "\(job)\n\(up.log())")

        try await waitUntil("the first attempt reached the receiver", timeoutSeconds: 30) { !receiver.received.isEmpty }
        let workers = up.workerPIDs()
        try #require(workers.count == 1, "the worker to kill")
        for pid in workers { kill(pid, SIGKILL) }
        try await waitUntil("the replacement worker delivered it", timeoutSeconds: 90) { receiver.received.count >= 2 }
        try await waitUntil("the delivery is recorded as delivered", timeoutSeconds: 10) {
            ((try await client.getJSON("/api/webhooks/deliveries").1["deliveries"] as? [[String: Any]])?.first?["state"] as? String) == "delivered"
        }
        _ = try await up.stop()
        await receiver.stop()
        await fake.stop()

        let received = receiver.received
        #expect(received.count == 2, "one attempt cut by the kill, one delivered")
        #expect(received[0].body == received[1].body && received[0].eventID == received[1].eventID)
        for attempt in received {
            #expect(webhookSignatureMatches(attempt.signature, body: attempt.body, secret: try #require(secret))?.matches == 1)
        }
        let event = try #require(try JSONSerialization.jsonObject(with: Data(received[1].body.utf8)) as? [String: Any])
        #expect(event["type"] as? String == "dub.succeeded" && event["id"] as? String == received[1].eventID)
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["id"] as? String == jobID && data["status"] as? String == "succeeded")
        #expect(try await store.violations() == [])
    }
}
