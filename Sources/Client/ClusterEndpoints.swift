import NIOConcurrencyHelpers
import NIOHTTP1

/// The servers a client knows (CSMs, or web portals in front of them), and which of them to talk
/// to: the one way every client, the portal and the admin CLI follow a failover without a virtual
/// IP. It asks first the server that answered last.
public final class ClusterEndpoints: Sendable {
    /// Why no server could serve a request, in words a person can act on.
    public struct Unreachable: Error, CustomStringConvertible, Sendable {
        public var servers: [String]
        public var description: String {
            "no server answered at \(servers.joined(separator: ", ")); check --server and that avserver is running there"
        }
    }

    public let endpoints: [APIEndpoint]
    /// How long a request keeps asking while every server is unavailable for a moment (answers
    /// 503 with Retry-After: a cluster starting, or between primaries).
    public let patience: Duration
    /// The server that answered last.
    private let current = NIOLockedValueBox(0)

    /// Base URLs such as "http://10.0.0.1:7080"; nil when one is not of that form. `headers` go
    /// with every request (an admin token).
    public init?(urls: [String], headers: [(String, String)] = [], patience: Duration = .seconds(8)) {
        let endpoints = urls.compactMap { APIEndpoint(url: $0, headers: headers) }
        guard !endpoints.isEmpty, endpoints.count == urls.count else { return nil }
        self.endpoints = endpoints
        self.patience = patience
    }

    public var servers: [String] { endpoints.map(\.authority) }

    /// The servers, the one that answered last first.
    private var inOrder: [(index: Int, endpoint: APIEndpoint)] {
        let first = current.withLockedValue { $0 }
        return endpoints.indices.map { ($0 + first) % endpoints.count }.map { ($0, endpoints[$0]) }
    }

    /// The CSM that says it is the primary (`/role` answers 200), or nil when none does now.
    public func primary() async -> APIEndpoint? {
        for (index, endpoint) in inOrder {
            if let (status, _) = try? await endpoint.send(.GET, "/role"), status == 200 {
                current.withLockedValue { $0 = index }
                return endpoint
            }
        }
        return nil
    }

    /// The first answer that is not "unavailable" (a backup CSM answers 503). While every server
    /// is unavailable and one says for a moment only, it asks again until `patience` runs out;
    /// then the first such answer. Throws `Unreachable` when no server answers at all.
    public func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, extraHeaders: [(String, String)] = []) async throws -> APIEndpoint.Response {
        let deadline = ContinuousClock.now + patience
        while true {
            var unavailable: APIEndpoint.Response?
            var retryAfter: Int?
            for (index, endpoint) in inOrder {
                guard let answer = try? await endpoint.exchange(method, path, body: body, extraHeaders: extraHeaders) else { continue }
                guard answer.status == 503 else {
                    current.withLockedValue { $0 = index }
                    return answer
                }
                if unavailable == nil { unavailable = answer }
                retryAfter = answer.retryAfterSeconds.map { min($0, retryAfter ?? $0) } ?? retryAfter
            }
            guard let unavailable else { throw Unreachable(servers: servers) }
            guard let retryAfter, ContinuousClock.now < deadline else { return unavailable }
            // Asked again sooner than the header says: a takeover is often quicker.
            try await Task.sleep(for: min(.seconds(retryAfter), .milliseconds(250)))
        }
    }
}
