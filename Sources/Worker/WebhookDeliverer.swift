import AsyncHTTPClient
public import Database
import HTTPTransport
public import Logging
import NIOCore
import NIOHTTP1
import Queue

/// Delivers due webhook deliveries: claims a batch, sends each (address checked again,
/// connected to the address checked, signed, time-limited, never redirected) and records
/// its outcome. Any worker on any host may run one; claims and leases keep each attempt
/// to one worker at a time.
public struct WebhookDeliverer: Sendable {
    let deliveries: WebhookDeliveries
    let configuration: WebhookDelivery
    let clock: any WallClock
    let logger: Logger

    public init(database: any SQLDatabase, configuration: WebhookDelivery, clock: any WallClock = SystemWallClock(), logger: Logger) {
        self.deliveries = WebhookDeliveries(database: database, clock: clock, configuration: configuration.deliveries)
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// One pass: claims up to `concurrency` due deliveries and attempts them together.
    /// - Returns: how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let claimed = try await deliveries.claim(limit: configuration.concurrency, render: configuration.render)
        await withDiscardingTaskGroup { group in
            for delivery in claimed {
                group.addTask {
                    let outcome = await attempt(delivery)
                    do {
                        if try await !deliveries.finish(delivery, outcome) {
                            logger.info("webhook attempt outlived its lease", metadata: ["delivery": "\(delivery.id)"])
                        }
                    } catch {
                        // The lease runs out and another pass tries again.
                        logger.warning("webhook outcome not recorded", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
                    }
                }
            }
        }
        return claimed.count
    }

    /// Delivers until `isDone` says so, waiting on `wake` (or the poll interval) when
    /// nothing is due.
    func run(isDone: @escaping @Sendable () -> Bool, wake: WakeSignal) async {
        var lastCleanUp: Int64?
        while !isDone() {
            var attempted = 0
            do {
                attempted = try await deliverDue()
                // Deliveries a month past their end leave the list; any worker may do it.
                if lastCleanUp.map({ clock.nowMilliseconds - $0 >= Self.cleanUpIntervalMilliseconds }) ?? true {
                    lastCleanUp = clock.nowMilliseconds
                    try await deliveries.removeFinished()
                }
            } catch {
                logger.warning("webhook deliveries failed", metadata: ["error": "\(error)"])
            }
            if attempted == 0 { await wake.wait(milliseconds: configuration.pollIntervalMilliseconds) }
        }
    }

    static let cleanUpIntervalMilliseconds: Int64 = 3_600_000

    func attempt(_ delivery: WebhookDeliveries.Claimed) async -> WebhookDeliveries.Outcome {
        let pins: [String: String]
        switch await configuration.destinations.check(delivery.url) {
        case .refused(let code, let message):
            logger.warning("webhook destination refused", metadata: ["delivery": "\(delivery.id)", "code": "\(code)"])
            return .failed(status: nil, error: "\(code): \(message)")
        case .allowed(let checked):
            pins = checked
        }
        let body = Array(delivery.body.utf8)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Auris-Webhooks/1")
        request.headers.add(name: "Auris-Event-Id", value: delivery.eventID)
        request.headers.add(
            name: "Auris-Signature",
            value: WebhookSigner.header(body: body, secrets: delivery.secrets, timestampSeconds: clock.nowMilliseconds / 1_000))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let answer = try await OutboundHTTP.send(
                request, timeoutSeconds: configuration.timeoutSeconds, keepAnswerBytes: configuration.keepAnswerBytes,
                connectingTo: pins)
            if (200..<300).contains(answer.status) { return .delivered(status: answer.status) }
            let text = String(buffer: answer.body)
            return .failed(status: answer.status, error: text.isEmpty ? "HTTP \(answer.status)" : String(text.prefix(200)))
        } catch {
            return .failed(status: nil, error: Self.describe(error))
        }
    }

    /// A transport failure in words a customer can act on; no addresses of ours.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            "timed out"
        case is HTTPClientError:
            "the connection failed (\(error))"
        default:
            "the connection failed"
        }
    }
}
