/// Which web pages may open sessions on a unit's WebSocket port (docs/SECURITY.md): a browser
/// names the page's origin in every upgrade, so a page of another site cannot use its visitors
/// as viewers or chatters. Pages served from loopback or from the unit's own host are allowed,
/// and the portal's origins named with `--allowed-origin`; a client that names no origin is not
/// a browser page and is judged by its ticket alone.
struct OriginPolicy: Sendable {
    /// Origins as browsers write them: scheme://host[:port], no path.
    var allowed: [String] = []
    /// The unit's public host: pages served from it (any port) are allowed.
    var ownHost: String?

    func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        let normalized = origin.lowercased()
        if allowed.contains(where: { $0.lowercased() == normalized }) { return true }
        guard let host = Self.host(of: normalized) else { return false }
        return Secret.isLoopbackAddress(host) || host == "localhost" || host == ownHost?.lowercased()
    }

    /// The host of an http(s) origin; nil for any other scheme (file pages send "null").
    static func host(of origin: String) -> String? {
        guard let range = origin.range(of: "://"), ["http", "https"].contains(origin[..<range.lowerBound]) else { return nil }
        let authority = origin[range.upperBound...].prefix { $0 != "/" }
        if authority.hasPrefix("[") { return authority.dropFirst().prefix { $0 != "]" }.description }
        return authority.prefix { $0 != ":" }.description
    }
}
