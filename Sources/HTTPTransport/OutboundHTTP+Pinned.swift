public import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension OutboundHTTP {
    /// Sends `request` to a customer's server (a webhook), keeping at most
    /// `keepAnswerBytes` of the answer and dropping the rest unread, so a large or endless
    /// answer neither fails the call nor fills memory.
    ///
    /// Each host named in `pins` is connected to the address given there instead of being
    /// resolved again: the address a `DestinationPolicy` checked is the one connected to.
    /// For https the TLS handshake still sends the host name (SNI) and verifies the
    /// certificate against it, so pinning changes where the socket goes, never whom we
    /// trust. AsyncHTTPClient sets this per client (`dnsOverride`), so a pinned request has
    /// its own short-lived client on the shared event loops, never redirected, shut down
    /// after; a request without pins uses the shared client.
    public static func send(
        _ request: HTTPClientRequest, timeoutSeconds: Double, keepAnswerBytes: Int, connectingTo pins: [String: String]
    ) async throws -> Answer {
        guard !pins.isEmpty else {
            return try await withDeadline(seconds: timeoutSeconds + deadlineGraceSeconds) {
                try await truncatedAnswer(client, request, timeoutSeconds: timeoutSeconds, keepAnswerBytes: keepAnswerBytes)
            }
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.dnsOverride = pins
        let pinned = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let answer = try await withDeadline(seconds: timeoutSeconds + deadlineGraceSeconds) {
                try await truncatedAnswer(pinned, request, timeoutSeconds: timeoutSeconds, keepAnswerBytes: keepAnswerBytes)
            }
            try await pinned.shutdown()
            return answer
        } catch {
            try? await pinned.shutdown()
            throw error
        }
    }

    private static func truncatedAnswer(
        _ client: HTTPClient, _ request: HTTPClientRequest, timeoutSeconds: Double, keepAnswerBytes: Int
    ) async throws -> Answer {
        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1_000)))
        var kept = ByteBuffer()
        for try await var chunk in response.body {
            let room = keepAnswerBytes - kept.readableBytes
            if room > 0, let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) { kept.writeImmutableBuffer(slice) }
            // The rest is not ours to read: leaving the loop drops the connection.
            if kept.readableBytes >= keepAnswerBytes { break }
        }
        return Answer(status: Int(response.status.code), headers: response.headers, body: kept)
    }
}
