import Foundation

/// Where a customer-chosen URL (a webhook endpoint) may send requests: http or https,
/// no credentials in the URL, and a host whose every address is public — checked when
/// the URL is registered and again before each request, which then connects to the
/// address checked (`OutboundHTTP.send(_:timeoutSeconds:maxAnswerBytes:connectingTo:)`),
/// so a DNS answer that changes in between (DNS rebinding) cannot steer it inside.
public struct DestinationPolicy: Sendable {
    /// `AURIS_WEBHOOK_ALLOW_PRIVATE=1`: private, loopback and link-local addresses are
    /// allowed too (tests, a private deployment).
    public var allowPrivate: Bool
    public var resolver: any HostResolver

    public init(allowPrivate: Bool = false, resolver: any HostResolver = SystemHostResolver()) {
        self.allowPrivate = allowPrivate
        self.resolver = resolver
    }

    public enum Verdict: Sendable, Equatable {
        /// Send to the URL, connecting to `pins` (host name → the address checked); empty
        /// when the host is already an address.
        case allowed(pins: [String: String])
        /// Never send: `code` is stable, `message` for people.
        case refused(code: String, message: String)
    }

    /// The refusal codes, as the API answers them.
    public enum Codes {
        public static let invalid = "invalid_webhook_url"
        public static let privateAddress = "webhook_url_private"
        public static let unresolvable = "webhook_url_unresolvable"
    }

    /// What `url` may be sent to now.
    public func check(_ url: String) async -> Verdict {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http"
        else { return .refused(code: Codes.invalid, message: "a webhook URL starts with https:// or http://") }
        guard let host = components.host, !host.isEmpty else {
            return .refused(code: Codes.invalid, message: "a webhook URL names a host")
        }
        guard components.user == nil && components.password == nil else {
            return .refused(code: Codes.invalid, message: "a webhook URL carries no user name or password")
        }
        if let port = components.port, !(1...65_535).contains(port) {
            return .refused(code: Codes.invalid, message: "a webhook URL's port is 1 to 65535")
        }
        if PublicAddress.isNumeric(host) {
            guard allowPrivate || PublicAddress.isPublic(host) else { return Self.privateRefusal(host) }
            return .allowed(pins: [:])
        }
        let addresses: [String]
        do {
            addresses = try await resolver.addresses(of: host)
        } catch {
            addresses = []
        }
        guard let first = addresses.first else {
            return .refused(code: Codes.unresolvable, message: "the webhook URL's host \(host) does not resolve")
        }
        // Every address must be public: a name with one private address among public ones
        // would reach inside whenever the client picked it.
        if !allowPrivate, let inside = addresses.first(where: { !PublicAddress.isPublic($0) }) {
            return Self.privateRefusal("\(host) (\(inside))")
        }
        return .allowed(pins: [host: first])
    }

    private static func privateRefusal(_ what: String) -> Verdict {
        .refused(
            code: Codes.privateAddress,
            message: "webhooks are not sent to loopback, link-local or private addresses: \(what)")
    }
}
