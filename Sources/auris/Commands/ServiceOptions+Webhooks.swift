import API
import HTTPTransport
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
        return WebhookDelivery(destinations: try Self.webhookDestinations()) { source in
            WebhookEventBody.render(source, publicURL: publicURL)
        }
    }
}
