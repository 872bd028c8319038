import Hummingbird
import NIOConcurrencyHelpers

/// Answers 429 with Retry-After to a client address that opens or joins faster than its
/// `RateLimits`. A front end that presents the admin token (the web portal towards the CSMs)
/// is not limited: it limits its own clients.
struct RateLimitMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    private let opens: NIOLockedValueBox<RequestRateLimiter>
    private let joins: NIOLockedValueBox<RequestRateLimiter>
    private let trustedToken: String?

    init(_ limits: RateLimits, trustedToken: String?) {
        opens = NIOLockedValueBox(RequestRateLimiter(burst: limits.openBurst, perSecond: limits.opensPerMinute / 60))
        joins = NIOLockedValueBox(RequestRateLimiter(burst: limits.joinBurst, perSecond: limits.joinsPerSecond))
        self.trustedToken = trustedToken
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let limiter = limiter(for: request.uri.path) else { return try await next(request, context) }
        if let trustedToken, AdminTokenMiddleware<Context>.matches(request, token: trustedToken) { return try await next(request, context) }
        let address = context.remoteAddress?.ipAddress ?? "?"
        if let wait = limiter.withLockedValue({ $0.admit(address, now: .now) }) {
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            context.logger.warning("rate limit: \(address) asked too often for \(request.uri.path)")
            throw HTTPError(
                .tooManyRequests, headers: [.retryAfter: "\(seconds)"],
                message: "too many requests from \(address); try again in \(seconds) s")
        }
        return try await next(request, context)
    }

    /// Opening a channel, and joining or rejoining one: what takes a place in the cluster.
    private func limiter(for path: String) -> NIOLockedValueBox<RequestRateLimiter>? {
        if path == "/api/channels" { return opens }
        if path.hasPrefix("/api/channels/") && (path.hasSuffix("/join") || path.hasSuffix("/broadcaster")) { return joins }
        return nil
    }
}
