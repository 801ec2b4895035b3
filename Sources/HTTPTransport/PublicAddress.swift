import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells public internet addresses from the ones a webhook must never reach: loopback,
/// link-local, private (RFC 1918, CGNAT, ULA), unspecified, multicast, broadcast,
/// documentation and reserved ranges, and IPv6 forms that carry one of those IPv4
/// addresses (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
public enum PublicAddress {
    /// Whether `address` (a numeric IPv4 or IPv6 address) is a public unicast address.
    /// Anything that does not parse is not.
    public static func isPublic(_ address: String) -> Bool {
        var text = address
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        // A zone index (fe80::1%eth0) is only ever on link-local addresses.
        if text.contains("%") { return false }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return isPublicIPv4(withUnsafeBytes(of: &v4) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return isPublicIPv6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        return false
    }

    /// Whether `host` is written as a numeric address rather than a name.
    public static func isNumeric(_ host: String) -> Bool {
        var text = host
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1 || text.contains("%")
    }

    static func isPublicIPv4(_ bytes: [UInt8]) -> Bool {
        precondition(bytes.count == 4, "an IPv4 address has 4 bytes")
        let (a, b, c) = (bytes[0], bytes[1], bytes[2])
        switch a {
        case 0, 10, 127: return false  // "this network", RFC 1918, loopback
        case 100 where (64...127).contains(b): return false  // CGNAT, RFC 6598
        case 169 where b == 254: return false  // link-local
        case 172 where (16...31).contains(b): return false  // RFC 1918
        case 192 where b == 168: return false  // RFC 1918
        case 192 where b == 0 && (c == 0 || c == 2): return false  // IETF protocol assignments, TEST-NET-1
        case 192 where b == 88 && c == 99: return false  // 6to4 relay anycast
        case 198 where b == 18 || b == 19: return false  // benchmarking
        case 198 where b == 51 && c == 100: return false  // TEST-NET-2
        case 203 where b == 0 && c == 113: return false  // TEST-NET-3
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    static func isPublicIPv6(_ bytes: [UInt8]) -> Bool {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        let leadingZeroes = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (IPv4-mapped): the IPv4 address decides.
        if leadingZeroes && bytes[10] == 0xFF && bytes[11] == 0xFF { return isPublicIPv4(Array(bytes[12..<16])) }
        // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d: none is a public destination.
        if leadingZeroes && bytes[10] == 0 && bytes[11] == 0 { return false }
        // 64:ff9b::/96 (NAT64) reaches the IPv4 address it carries.
        if bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            return isPublicIPv4(Array(bytes[12..<16]))
        }
        // 64:ff9b:1::/48 (local-use NAT64).
        if bytes[0..<6].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return false }
        // 2002::/16 (6to4) reaches the IPv4 address in its next 32 bits.
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return isPublicIPv4(Array(bytes[2..<6])) }
        // 2001:db8::/32 documentation; 2001::/23 IETF special purposes (Teredo among them).
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return false }
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] < 0x02 { return false }
        switch bytes[0] {
        case 0xFC, 0xFD: return false  // unique local (ULA)
        case 0xFE where bytes[1] & 0xC0 == 0x80: return false  // link-local fe80::/10
        case 0xFE where bytes[1] & 0xC0 == 0xC0: return false  // deprecated site-local fec0::/10
        case 0xFF: return false  // multicast
        default: break
        }
        // Global unicast is 2000::/3; everything else is unassigned or special.
        return bytes[0] & 0xE0 == 0x20
    }
}
