import NIOCore
import Testing
import Wire

@Suite struct ClientNetworkTests {
    @Test func ipv4CountsAloneAndIPv6ByItsPrefix() throws {
        let networks = ClientNetworks()
        #expect(networks.network(ofAddress: "198.51.100.7") == "198.51.100.7")
        #expect(networks.network(ofAddress: "2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(networks.network(ofAddress: "2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(networks.network(ofAddress: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(networks.network(ofAddress: "::ffff:198.51.100.7") == "198.51.100.7", "an IPv4-mapped address is its IPv4 address")
        #expect(ClientNetworks(ipv6PrefixLength: 48).network(ofAddress: "2001:db8:1:2::1") == "2001:db8:1::/48")
        #expect(networks.network(of: try SocketAddress(ipAddress: "2001:db8::5", port: 1)) == "2001:db8::/64")
    }

    @Test func cidrsParseAndContain() {
        #expect(CIDR("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(CIDR("10.0.0.0/33") == nil && CIDR("nonsense") == nil && CIDR("::/129") == nil)
        #expect(CIDR("127.0.0.1")?.prefixLength == 32)
        let range = CIDR("2001:db8::/32")!
        #expect(range.contains([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 7, count: 12)))
        #expect(!range.contains([0x20, 0x01, 0x0d, 0xb9] + Array(repeating: 0, count: 12)))
        #expect(!range.contains([10, 0, 0, 1]))
    }

    @Test func forwardedForIsTakenOnlyFromATrustedProxyAndOnlyItsOwnEntry() throws {
        let networks = ClientNetworks(trustedProxies: [CIDR("10.0.0.0/8")!])
        let proxy = try SocketAddress(ipAddress: "10.1.2.3", port: 1)
        let stranger = try SocketAddress(ipAddress: "198.51.100.1", port: 1)
        #expect(networks.client(peer: proxy, forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        #expect(networks.client(peer: proxy, forwardedFor: ["1.2.3.4, 203.0.113.9"]) == "203.0.113.9", "what the client wrote itself is left of the proxy's entry")
        #expect(networks.client(peer: proxy, forwardedFor: ["203.0.113.9, 10.9.9.9"]) == "203.0.113.9", "proxies in a chain are skipped")
        #expect(networks.client(peer: proxy, forwardedFor: []) == "10.1.2.3")
        #expect(networks.client(peer: proxy, forwardedFor: ["not an address"]) == "10.1.2.3")
        #expect(networks.client(peer: stranger, forwardedFor: ["203.0.113.9"]) == "198.51.100.1")
    }
}
