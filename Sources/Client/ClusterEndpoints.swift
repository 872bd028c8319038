/// The CSM addresses a client (or web server) knows: it asks each for its role and talks to the
/// primary, so it follows a failover without a virtual IP.
public struct ClusterEndpoints: Sendable {
    public var clients: [HTTPClient]

    /// Base URLs such as "http://10.0.0.1:7080".
    public init?(urls: [String], headers: [(String, String)] = []) {
        let clients = urls.compactMap { HTTPClient(url: $0, headers: headers) }
        guard !clients.isEmpty, clients.count == urls.count else { return nil }
        self.clients = clients
    }

    /// The first CSM whose `/role` answers 200 (the primary), or nil when none does now.
    public func primary() async -> HTTPClient? {
        for client in clients {
            if let (status, _) = try? await client.send(.GET, "/role"), status == 200 { return client }
        }
        return nil
    }
}
