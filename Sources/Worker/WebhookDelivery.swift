public import HTTPTransport
public import Queue

/// How a worker delivers webhooks (docs/ARCHITECTURE.md, "Webhooks"). A worker without
/// one delivers none.
public struct WebhookDelivery: Sendable {
    /// Which addresses deliveries may reach (`AURIS_WEBHOOK_ALLOW_PRIVATE`), checked again
    /// before each attempt.
    public var destinations: DestinationPolicy
    /// Writes an event's JSON body once (`{"id", "type", "created", "data"}`); the
    /// `auris` command gives the API's job status object as `data`.
    public var render: @Sendable (WebhookDeliveries.EventSource) -> String
    public var deliveries = WebhookDeliveries.Configuration()
    /// An attempt's whole time limit; slower answers count as failures.
    public var timeoutSeconds: Double = 10
    /// Bytes of an answer kept (for the customer to read in the deliveries list).
    public var keepAnswerBytes = 1_024
    /// Attempts this process runs at the same time.
    public var concurrency = 8
    /// How long the loop waits for due deliveries when no wake-up came.
    public var pollIntervalMilliseconds: Int64 = 1_000

    public init(destinations: DestinationPolicy, render: @escaping @Sendable (WebhookDeliveries.EventSource) -> String) {
        self.destinations = destinations
        self.render = render
    }
}
