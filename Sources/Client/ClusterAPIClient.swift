#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1
import Wire

/// The client API of the cluster (web portal or CSM) as the CLIs use it: list, open, join,
/// resume and close channels. Given several server URLs it asks each in turn until one answers,
/// so a client follows a failover of the server it started with.
public struct ClusterAPIClient: Sendable {
    /// Why a call failed, in words a person can act on.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case unreachable([String])
        /// The server answered with an error status and a message.
        case refused(status: Int, message: String)

        public var description: String {
            switch self {
            case .unreachable(let urls):
                "no server answered at \(urls.joined(separator: ", ")); check --server and that avserver is running there"
            case .refused(_, let message): message
            }
        }
    }

    struct SecretBody: Encodable { var secret: String }

    public let urls: [String]
    private let servers: [HTTPClient]
    /// How long a call keeps asking while every server is unavailable for a moment (answers 503
    /// with Retry-After: a cluster starting, or between primaries).
    public let patience: Duration

    /// nil when a URL is not of the form http://host:port.
    /// `headers` go with every request (a front end's admin token).
    public init?(urls: [String], patience: Duration = .seconds(8), headers: [(String, String)] = []) {
        let servers = urls.compactMap { HTTPClient(url: $0, headers: headers) }
        guard !servers.isEmpty, servers.count == urls.count else { return nil }
        self.urls = urls
        self.servers = servers
        self.patience = patience
    }

    public func listChannels() async throws -> [ChannelSummary] {
        try await call(.GET, "/api/channels", as: [ChannelSummary].self)
    }

    public func openChannel(title: String, broadcasterName: String) async throws -> OpenChannelResponse {
        try await call(.POST, "/api/channels", body: OpenChannelRequest(title: title, broadcasterName: broadcasterName), as: OpenChannelResponse.self)
    }

    /// A broadcaster's place again (resume, or after its unit failed).
    public func resumeChannel(_ channel: ChannelID, secret: String) async throws -> OpenChannelResponse {
        try await call(.POST, "/api/channels/\(channel)/broadcaster", body: SecretBody(secret: secret), as: OpenChannelResponse.self)
    }

    public func joinChannel(_ channel: ChannelID) async throws -> JoinChannelResponse {
        try await call(.POST, "/api/channels/\(channel)/join", as: JoinChannelResponse.self)
    }

    public func closeChannel(_ channel: ChannelID, secret: String) async throws {
        let (status, body) = try await send(.POST, "/api/channels/\(channel)/close", body: SecretBody(secret: secret))
        guard (200..<300).contains(status) else { throw Failure.refused(status: status, message: HTTPClient.message(in: body)) }
    }

    private func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Int>.none, as type: Answer.Type) async throws -> Answer {
        let (status, data) = try await send(method, path, body: body)
        guard (200..<300).contains(status) else { throw Failure.refused(status: status, message: HTTPClient.message(in: data)) }
        do {
            return try JSONDecoder().decode(type, from: Data(data))
        } catch {
            throw Failure.refused(status: status, message: "the server's answer to \(path) is not what this client understands (\(error)); is --server an avserver?")
        }
    }

    /// The first answer that is not "unavailable" (a backup CSM answers 503). While every server is
    /// unavailable and one says for a moment only, it asks again until `patience` runs out; then
    /// the first one's answer, from the server most likely to say why.
    private func send(_ method: HTTPMethod, _ path: String, body: (some Encodable)?) async throws -> (Int, [UInt8]) {
        let encoded = try body.map { Array(try JSONEncoder().encode($0)) }
        let deadline = ContinuousClock.now + patience
        while true {
            var unavailable: HTTPClient.Response?
            var retryAfter: Int?
            for server in servers {
                guard let answer = try? await server.exchange(method, path, body: encoded) else { continue }
                guard answer.status == 503 else { return (answer.status, answer.body) }
                if unavailable == nil { unavailable = answer }
                retryAfter = answer.retryAfterSeconds.map { min($0, retryAfter ?? $0) } ?? retryAfter
            }
            guard let unavailable else { throw Failure.unreachable(urls) }
            guard let retryAfter, ContinuousClock.now < deadline else { return (unavailable.status, unavailable.body) }
            // Asked again sooner than the header says: a takeover is often quicker.
            try await Task.sleep(for: min(.seconds(retryAfter), .milliseconds(250)))
        }
    }
}
