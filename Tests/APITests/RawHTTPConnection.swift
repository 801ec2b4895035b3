import AurisTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client on a plain socket, for what HummingbirdTesting's client
/// cannot do: stream a body from a file without holding it, send a body that never
/// ends, and notice when the server stops reading. Use it off the cooperative pool
/// (`Task.detached` is enough for these short tests).
final class RawHTTPConnection {
    private let descriptor: Int32
    private var received: [UInt8] = []

    init(host: String = "localhost", port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw Self.error("getaddrinfo") }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0, connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                // A server that stops reading must fail a send, not hang the test.
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                descriptor = fd
                return
            }
            if fd >= 0 { close(fd) }
            candidate = info.pointee.ai_next
        }
        throw Self.error("connect to \(host):\(port)")
    }

    deinit { close(descriptor) }

    /// Whether the last failed send timed out (the server stopped reading) rather than
    /// found the connection closed.
    private(set) var sendTimedOut = false

    /// Sends all of `bytes`; false when the server has closed or reset the connection,
    /// or has not read for five seconds.
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            if sent <= 0 {
                sendTimedOut = sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                return false
            }
            offset += sent
        }
        return true
    }

    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends the head of an upload as `apiKey`: `Content-Length: contentLength`, or
    /// chunked transfer coding when it is nil. The body is the caller's to send.
    @discardableResult
    func sendUploadHead(
        path: String = "/api/dub?target_language=fr", apiKey: String, contentType: String = "audio/wav", contentLength: Int?
    ) -> Bool {
        let framing = contentLength.map { "Content-Length: \($0)" } ?? "Transfer-Encoding: chunked"
        return send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(apiKey)\r\n"
            + "Content-Type: \(contentType)\r\n\(framing)\r\n\r\n")
    }

    /// Sends a file in 64 KiB pieces, as chunked transfer coding when `chunked`.
    func sendFile(_ path: String, chunked: Bool = false) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Self.error("open \(path)") }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 65_536), !data.isEmpty {
            if chunked, !send(String(data.count, radix: 16) + "\r\n") { return false }
            if !send(Array(data)) { return false }
            if chunked, !send("\r\n") { return false }
        }
        return true
    }

    /// Whether the server has sent something (or closed) within `milliseconds`.
    func readable(withinMilliseconds milliseconds: Int32) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, milliseconds) > 0
    }

    /// Reads one response: its status, headers (lower-cased names) and body, until its
    /// Content-Length is satisfied or the server closes.
    func readResponse(timeoutMilliseconds: Int32 = 20_000) throws -> (status: Int, headers: [String: String], body: String) {
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let end = received.firstRange(of: separator) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = headers["content-length"].flatMap(Int.init) ?? 0
                if received.count - end.upperBound >= length {
                    let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
                    let body = String(decoding: received[end.upperBound..<(end.upperBound + length)], as: UTF8.self)
                    received.removeFirst(end.upperBound + length)
                    return (status, headers, body)
                }
            }
            guard readable(withinMilliseconds: timeoutMilliseconds) else { throw Self.error("no response in time") }
            guard readMore() > 0 else { throw Self.error("closed before a whole response") }
        }
    }

    /// Whether the server closes (or resets) the connection within `milliseconds`,
    /// discarding anything else it sends.
    func closedByServer(withinMilliseconds milliseconds: Int32) -> Bool {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1_000)
        while Date() < deadline {
            guard readable(withinMilliseconds: 50) else { continue }
            if readMore() <= 0 { return true }
        }
        return false
    }

    private func readMore() -> Int {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        if count > 0 { received += buffer[..<count] }
        return count
    }

    private static func error(_ what: String) -> any Error {
        FixtureError("\(what): \(String(cString: strerror(errno)))")
    }
}
