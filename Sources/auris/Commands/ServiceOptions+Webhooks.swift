import API
import HTTPTransport
import Queue
import Worker

extension ServiceOptions {
    /// `AURIS_WEBHOOK_ALLOW_PRIVATE=1` lets webhooks reach loopback, link-local and private
    /// addresses (tests, a private deployment); by default they are refused.
    static func webhookDestinations() throws -> DestinationPolicy {
        DestinationPolicy(allowPrivate: try Setting.integer(variable: "AURIS_WEBHOOK_ALLOW_PRIVATE", in: 0...1) == 1)
    }

    /// What a worker process needs to deliver webhooks: the same address rule as the API,
    /// and the API's job status object, with links to `AURIS_PUBLIC_URL`, as each event's data.
    func webhookDelivery() throws -> WebhookDelivery {
        let publicURL = try apiConfiguration().publicURL
        var delivery = WebhookDelivery(destinations: try Self.webhookDestinations()) { source in
            WebhookEventBody.render(source, publicURL: publicURL)
        }
        if let seconds = try Setting.integer(variable: "AURIS_WEBHOOK_TIMEOUT_SECONDS", in: 1...60) {
            delivery.timeoutSeconds = Double(seconds)
            // A claim outlives its attempt's whole time limit several times over, and a
            // dead worker's claim is taken again that much later.
            delivery.deliveries.leaseMilliseconds = seconds * 6_000
        }
        return delivery
    }
}
