import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Wire

/// The per-client-network limits of one HTTP port (docs/SECURITY.md): token buckets for opening
/// channels and for joining or resuming them, shared by every route that does so. They guard
/// routes, not spellings: `RateLimitMiddleware` sits on the route groups of those handlers, so
/// it runs for whatever path the router matched to them (`//api//channels/`, the portal's form).
final class ClientRateLimits: Sendable {
    enum Kind: String, Sendable { case open, join }

    /// The header a front end that presents the admin token (the portal towards the CSMs) names
    /// its own client's network in, for the CSM's live-channel cap.
    static let clientNetworkHeader = HTTPField.Name("X-AVCluster-Client-Network")!

    let networks: ClientNetworks
    private let opens: NIOLockedValueBox<RequestRateLimiter>
    private let joins: NIOLockedValueBox<RequestRateLimiter>
    /// A front end that presents it is not limited here: it limits its own clients.
    private let trustedToken: String?

    init(_ limits: RateLimits, networks: ClientNetworks, trustedToken: String?) {
        opens = NIOLockedValueBox(RequestRateLimiter(burst: limits.openBurst, perSecond: limits.opensPerMinute / 60))
        joins = NIOLockedValueBox(RequestRateLimiter(burst: limits.joinBurst, perSecond: limits.joinsPerSecond))
        self.networks = networks
        self.trustedToken = trustedToken
    }

    func middleware(_ kind: Kind) -> RateLimitMiddleware { RateLimitMiddleware(limits: self, kind: kind) }

    /// Whether the request comes from the trusted front end.
    func isTrustedFrontEnd(_ request: Request) -> Bool {
        guard let trustedToken else { return false }
        return AdminTokenMiddleware<ClusterRequestContext>.matches(request, token: trustedToken)
    }

    /// The client network the request counts for: the front end's word when it presents the
    /// admin token (nil when it names none: the admin itself), else the peer (or the client a
    /// trusted proxy names).
    func client(of request: Request, context: ClusterRequestContext) -> String? {
        if isTrustedFrontEnd(request) { return request.headers[Self.clientNetworkHeader].map { String($0.prefix(64)) } }
        return networks.client(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
    }

    /// nil when the client may go ahead; else how long until it may.
    fileprivate func admit(_ kind: Kind, _ client: String) -> Duration? {
        (kind == .open ? opens : joins).withLockedValue { $0.admit(client, now: .now) }
    }
}

/// Answers 429 with Retry-After to a client network that opens, joins or resumes faster than
/// its `RateLimits`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ClusterRequestContext
    let limits: ClientRateLimits
    let kind: ClientRateLimits.Kind

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if limits.isTrustedFrontEnd(request) { return try await next(request, context) }
        let client = limits.client(of: request, context: context) ?? "?"
        if let wait = limits.admit(kind, client) {
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            context.logger.warning("rate limit: \(client) asked too often to \(kind.rawValue) (\(request.uri.path))")
            throw HTTPError(
                .tooManyRequests, headers: [.retryAfter: "\(seconds)"],
                message: "too many requests from \(client); try again in \(seconds) s")
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
}
