import ArgumentParser
import Wire

/// How client addresses are counted (`avserver csm`, `web` and `unit`): IPv6 by a prefix, and the
/// proxies whose word about the client is taken.
struct ClientNetworkOptions: ParsableArguments {
    @Option(help: "IPv6 clients count as one per this many leading bits of their address (a home or a machine holds a whole /64).")
    var ipv6Prefix = 64
    @Option(help: ArgumentHelp(
        "A proxy (address or CIDR) in front of this server; repeat for several. Only from there is X-Forwarded-For (or the PROXY protocol on a unit's session port) taken as the client's address.",
        valueName: "CIDR"))
    var trustedProxy: [String] = []

    func validate() throws {
        guard (16...128).contains(ipv6Prefix) else { throw ValidationError("--ipv6-prefix must be 16 to 128") }
        for text in trustedProxy where CIDR(text) == nil {
            throw ValidationError("--trusted-proxy \(text) is not an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32")
        }
    }

    var networks: ClientNetworks { ClientNetworks(ipv6PrefixLength: ipv6Prefix, trustedProxies: trustedProxy.compactMap(CIDR.init)) }
}
