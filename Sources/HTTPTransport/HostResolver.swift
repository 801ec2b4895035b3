import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into the addresses a connection to it would use. Injected, so
/// tests can answer what a hostile DNS server would (a different address each time).
public protocol HostResolver: Sendable {
    /// Numeric addresses (IPv4 or IPv6 text), empty when the name does not resolve.
    func addresses(of host: String) async throws -> [String]
}

/// The system's resolver (`getaddrinfo`), run on NIO's blocking thread pool so a slow
/// DNS server holds no cooperative thread.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
            defer { freeaddrinfo(first) }
            var found: [String] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if let address = entry.pointee.ai_addr,
                   getnameinfo(address, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !found.contains(text) { found.append(text) }
                }
                cursor = entry.pointee.ai_next
            }
            return found
        }
    }
}
