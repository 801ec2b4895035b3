import AsyncHTTPClient
import Foundation
import HTTPTransport
import NIOCore

/// Turns what S3 answered, or how the exchange broke, into a ``MediaStoreError``: the
/// one place that decides what is transient (retried) and what is final.
enum S3ErrorAnswer {
    /// The most of an error answer read: S3's XML error bodies are a few hundred bytes.
    static let maxErrorBodyBytes = 64 * 1024

    /// The error for a non-2xx answer to a request on `key`.
    static func error(status: Int, body: ByteBuffer, key: MediaKey) -> MediaStoreError {
        let text = String(buffer: body)
        let code = element("Code", in: text)
        let detail = [code, element("Message", in: text)].compactMap { $0 }.joined(separator: ": ")
        let said = "S3 answered \(status)\(detail.isEmpty ? "" : " (\(detail))") for \(key)"
        switch (status, code) {
        case (_, "SlowDown"), (_, "RequestTimeout"), (500...599, _):
            return .unavailable(said, storeCode: code)
        case (404, _):
            return .notFound(key, storeCode: code)
        case (403, _):
            return .accessDenied(said, storeCode: code)
        case (_, "BadDigest"), (_, "XAmzContentSHA256Mismatch"), (_, "InvalidDigest"):
            return .integrity(said, storeCode: code)
        case (300...399, _):
            return .badAnswer("\(said): a redirect, which is not followed (is the region or endpoint right?)")
        case (400...499, _):
            return .refused(said, storeCode: code)
        default:
            return .badAnswer(said)
        }
    }

    /// The error for an exchange that did not complete.
    static func error(transport error: any Error, timeoutSeconds: Double) -> any Error {
        switch error {
        case let error as MediaStoreError: return error
        case is CancellationError: return error
        case let error as HTTPClientError
        where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            return MediaStoreError.timeout(seconds: timeoutSeconds)
        case is NIOTooManyBytesError:
            return MediaStoreError.badAnswer("S3's answer was larger than \(maxErrorBodyBytes) bytes")
        default:
            return MediaStoreError.unavailable("the exchange with S3 broke: \(error)")
        }
    }

    /// The text of the first `<name>…</name>` in `xml`.
    private static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
