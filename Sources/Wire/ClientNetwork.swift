#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// An address range such as 10.0.0.0/8 or 2001:db8::/32 (`--trusted-proxy`); an address alone is
/// a range of one.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let prefixLength: Int

    /// nil when `text` is not an IPv4 or IPv6 address with an optional /length that fits it.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = ClientNetworks.addressBytes(String(parts[0])) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length, (0...bytes.count * 8).contains(length) else { return nil }
        self.bytes = bytes
        self.prefixLength = length
    }

    /// Whether the address given as text is in the range (a name or nonsense never is).
    public func contains(_ address: String) -> Bool {
        ClientNetworks.addressBytes(address).map(contains) ?? false
    }

    public func contains(_ address: [UInt8]) -> Bool {
        address.count == bytes.count && ClientNetworks.prefix(address, bits: prefixLength) == ClientNetworks.prefix(bytes, bits: prefixLength)
    }

    public var description: String { "\(ClientNetworks.text(bytes))/\(prefixLength)" }
}

/// Which client network an address counts for in every per-client limit (docs/SECURITY.md):
/// an IPv4 address alone, an IPv6 address by its first `ipv6PrefixLength` bits (one home or one
/// cloud machine is given a whole /64, so counting /128s would let it open 2^64 of anything).
/// Behind a proxy in `trustedProxies` the client is the address the proxy names.
public struct ClientNetworks: Sendable {
    public var ipv6PrefixLength: Int
    public var trustedProxies: [CIDR]

    public init(ipv6PrefixLength: Int = 64, trustedProxies: [CIDR] = []) {
        self.ipv6PrefixLength = min(max(ipv6PrefixLength, 1), 128)
        self.trustedProxies = trustedProxies
    }

    /// The network of a connection's peer, for the limits: "?" when it has no IP address.
    public func network(of peer: SocketAddress?) -> String {
        guard let text = peer?.ipAddress else { return "?" }
        return network(ofAddress: text)
    }

    /// The network of an address given as text (an unparsable one counts as itself).
    public func network(ofAddress text: String) -> String {
        guard let bytes = Self.addressBytes(text) else { return text }
        if bytes.count == 4 { return Self.text(bytes) }
        return "\(Self.text(Self.prefix(bytes, bits: ipv6PrefixLength)))/\(ipv6PrefixLength)"
    }

    /// Whether the peer is a proxy whose word about the client is taken.
    public func trusts(_ peer: SocketAddress?) -> Bool {
        guard let text = peer?.ipAddress, let bytes = Self.addressBytes(text) else { return false }
        return trustedProxies.contains { $0.contains(bytes) }
    }

    /// The client's own address: from an X-Forwarded-For header only when the peer is a trusted
    /// proxy, and then the right-most entry that is not itself a trusted proxy (anything further
    /// left was written by the client and proves nothing).
    public func clientAddress(peer: SocketAddress?, forwardedFor: [String]) -> String? {
        guard trusts(peer) else { return peer?.ipAddress }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: " \t") }
        for hop in hops.reversed() {
            guard let bytes = Self.addressBytes(hop) else { return peer?.ipAddress }
            if !trustedProxies.contains(where: { $0.contains(bytes) }) { return hop }
        }
        return peer?.ipAddress
    }

    /// The network of the client behind `peer`, through trusted proxies.
    public func client(peer: SocketAddress?, forwardedFor: [String]) -> String {
        clientAddress(peer: peer, forwardedFor: forwardedFor).map(network(ofAddress:)) ?? "?"
    }

    /// 4 or 16 bytes; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) gives its 4.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    static func prefix(_ bytes: [UInt8], bits: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(bits - index * 8, 0), 8)
            return kept == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
    }

    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        return bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)).map { String(cString: $0) } ?? "?"
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
