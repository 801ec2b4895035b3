import AsyncHTTPClient
import Foundation
import NIOCore

/// Turns an OpenAI error answer or a transport failure into a `DubbingError`, deciding
/// what another attempt could fix, as the official SDKs do: 408, 409, 429 and 5xx are
/// transient; `insufficient_quota` (even on a 429) and other 4xx are permanent.
enum OpenAIErrorClassifier {
    /// The longest wait honoured from `retry-after`; a longer one is capped, not ignored.
    static let maxRetryAfterSeconds = 120.0

    /// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
            var type: String?
            var code: String?

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                self.message = try? container.decodeIfPresent(String.self, forKey: .message)
                self.type = try? container.decodeIfPresent(String.self, forKey: .type)
                // `code` is a string or null in practice; a number must not fail the decoding.
                self.code = (try? container.decodeIfPresent(String.self, forKey: .code))
                    ?? (try? container.decodeIfPresent(Int.self, forKey: .code)).flatMap { $0.map(String.init) }
            }

            enum CodingKeys: String, CodingKey { case message, type, code }
        }

        var error: Detail
    }

    /// - Parameters:
    ///   - header: looks up a response header, case-insensitively.
    ///   - now: the time an HTTP-date `retry-after` is measured from.
    static func classify(
        status: Int,
        header: (String) -> String?,
        body: Data,
        operation: String,
        now: Date
    ) -> DubbingError {
        let detail = try? JSONDecoder().decode(ErrorBody.self, from: body).error
        let retryAfter = self.retryAfterSeconds(header: header, now: now)
        var message = "\(operation) failed with HTTP \(status)"
        if let providerMessage = detail?.message, !providerMessage.isEmpty {
            message += ": \(providerMessage.prefix(500))"
        }
        if let requestID = header("x-request-id") { message += " (request \(requestID))" }

        if detail?.code == "insufficient_quota" || detail?.type == "insufficient_quota" {
            return .insufficientQuota(message)
        }
        switch header("x-should-retry")?.lowercased() {
        case "true": return .providerRetryRequested(message, retryAfterSeconds: retryAfter)
        case "false": return .providerRejected(message)
        default: break
        }
        switch status {
        case 429: return .providerRateLimited(message, retryAfterSeconds: retryAfter)
        case 408: return .providerTimeout(message, retryAfterSeconds: retryAfter)
        case 409, 500...599: return .providerUnavailable(message, retryAfterSeconds: retryAfter)
        case 401, 403: return .providerUnauthorized(message)
        default: return .providerRejected(message)
        }
    }

    /// `retry-after-ms` (milliseconds), else `retry-after` (seconds or an HTTP date),
    /// capped at `maxRetryAfterSeconds`; `nil` when absent or unreadable.
    static func retryAfterSeconds(header: (String) -> String?, now: Date) -> Double? {
        let seconds: Double?
        if let milliseconds = header("retry-after-ms").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            seconds = milliseconds / 1000
        } else if let value = header("retry-after")?.trimmingCharacters(in: .whitespaces) {
            if let number = Double(value) {
                seconds = number
            } else if let date = self.httpDate(value) {
                seconds = date.timeIntervalSince(now)
            } else {
                seconds = nil
            }
        } else {
            seconds = nil
        }
        guard let seconds, seconds.isFinite else { return nil }
        return min(self.maxRetryAfterSeconds, max(0, seconds))
    }

    /// RFC 9110 IMF-fixdate, e.g. `Wed, 21 Oct 2015 07:28:00 GMT`.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// A request that got no HTTP answer: timeouts and network failures are transient;
    /// an answer too large to read is a bad answer.
    static func classify(transportError error: any Error, operation: String) -> DubbingError {
        if Task.isCancelled { return .canceled }
        if error is NIOTooManyBytesError {
            return .providerBadResponse("\(operation): the answer is larger than \(OpenAIClient.maxAnswerBytes) bytes")
        }
        guard let clientError = error as? HTTPClientError else {
            // Connection refused or reset, DNS, TLS: NIO's errors describe themselves.
            return .providerConnection("\(operation): \(error)")
        }
        switch clientError {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
            return .providerTimeout("\(operation): no answer in time (\(clientError))")
        default:
            return .providerConnection("\(operation): \(clientError)")
        }
    }
}
