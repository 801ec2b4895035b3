import API
import AurisTestSupport
import Billing
import Database
import Foundation
import HTTPTransport
import Logging
@testable import Queue
import Synchronization
@testable import Worker

/// A store with one account, its queue, its webhook endpoints and a deliverer on the
/// store's manual clock that renders events as `auris worker` does.
struct WebhookFixture {
    let store: TestStore
    let queue: JobQueue
    let endpoints: WebhookEndpoints
    let account: AccountID

    init() async throws {
        store = try await TestStore.make("auris-webhooks")
        queue = store.queue { $0.leaseMilliseconds = 10_000 }
        endpoints = WebhookEndpoints(database: store.database, clock: store.clock)
        account = try await store.accounts.create(name: "Ada", signupCredits: 20).id
    }

    func remove() { store.directory.remove() }

    var deliveries: WebhookDeliveries { WebhookDeliveries(database: store.database, clock: store.clock) }

    func deliverer(_ destinations: DestinationPolicy = DestinationPolicy(allowPrivate: true)) -> WebhookDeliverer {
        var configuration = WebhookDelivery(destinations: destinations) { source in
            WebhookEventBody.render(source, publicURL: "https://auris.example")
        }
        configuration.timeoutSeconds = 5
        return WebhookDeliverer(
            database: store.database, configuration: configuration, clock: store.clock,
            logger: Logger(label: "webhook-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    func register(_ url: String) async throws -> WebhookEndpoints.WithSecret {
        guard case .created(let created) = try await endpoints.create(for: account, url: url) else {
            throw FixtureError("the endpoint was refused")
        }
        return created
    }

    /// A receiver on 127.0.0.1 answering `answers`, registered as the account's endpoint.
    func localEndpoint(answering answers: [Int]) async throws -> (receiver: WebhookReceiver, endpoint: WebhookEndpoints.WithSecret) {
        let receiver = WebhookReceiver(answers: answers)
        let port = try await receiver.start()
        return (receiver, try await register("http://127.0.0.1:\(port)/hook"))
    }

    /// A job queued, claimed and succeeded.
    func succeededJob() async throws -> Job {
        let job = try await queue.enqueue(EnqueueRequest(account: account, credits: 2, durationMilliseconds: 15_000, payload: "{}")).job
        let claimed = try await queue.claim(owner: "worker-1")
        guard let claimed else { throw FixtureError("nothing to claim") }
        guard try await queue.succeed(claimed.claim) == .settled(.succeeded) else { throw FixtureError("not settled") }
        return job
    }

    /// Every delivery of the account: (job id, event id, endpoint id, type, state, attempts).
    func deliveryRows() async throws -> [WebhookDeliveries.Summary] {
        try await deliveries.recent(of: account, limit: 200)
    }
}

/// A DNS server under the test's control: each lookup of a name takes the next answer,
/// the last one for ever after.
final class ScriptedResolver: HostResolver {
    private let answers: Mutex<[String: [[String]]]>

    init(_ answers: [String: [[String]]]) {
        self.answers = Mutex(answers)
    }

    func addresses(of host: String) async throws -> [String] {
        answers.withLock { answers in
            guard var list = answers[host], !list.isEmpty else { return [] }
            let answer = list.count > 1 ? list.removeFirst() : list[0]
            answers[host] = list
            return answer
        }
    }
}
