#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1
import Wire

/// The client API of the cluster (web portal or CSM) as the CLIs use it: list, open, join,
/// resume and close channels, through `ClusterEndpoints`, so a client given several server URLs
/// follows a failover of the server it started with.
public struct ClusterAPIClient: Sendable {
    /// Why a call failed, in words a person can act on.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case unreachable([String])
        /// The server answered with an error status and a message.
        case refused(status: Int, message: String)

        public var description: String {
            switch self {
            case .unreachable(let servers): ClusterEndpoints.Unreachable(servers: servers).description
            case .refused(_, let message): message
            }
        }
    }

    struct SecretBody: Encodable { var secret: String }

    public let endpoints: ClusterEndpoints

    public init(endpoints: ClusterEndpoints) { self.endpoints = endpoints }

    /// nil when a URL is not of the form http://host:port. `headers` go with every request (a
    /// front end's admin token); `patience` is how long a call waits out a takeover.
    public init?(urls: [String], patience: Duration = .seconds(8), headers: [(String, String)] = []) {
        guard let endpoints = ClusterEndpoints(urls: urls, headers: headers, patience: patience) else { return nil }
        self.endpoints = endpoints
    }

    public func listChannels() async throws -> [ChannelSummary] {
        try await call(.GET, "/api/channels", as: [ChannelSummary].self)
    }

    /// `clientNetwork` is said by a front end (the portal, with the admin token) for the client it
    /// asks for, so the CSM counts that client's live channels rather than the front end's.
    public func openChannel(title: String, broadcasterName: String, clientNetwork: String? = nil) async throws -> OpenChannelResponse {
        let headers = clientNetwork.map { [("X-AVCluster-Client-Network", $0)] } ?? []
        return try await call(.POST, "/api/channels", body: OpenChannelRequest(title: title, broadcasterName: broadcasterName), headers: headers, as: OpenChannelResponse.self)
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
        guard (200..<300).contains(status) else { throw Failure.refused(status: status, message: APIEndpoint.message(in: body)) }
    }

    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Int>.none, headers: [(String, String)] = [], as type: Answer.Type
    ) async throws -> Answer {
        let (status, data) = try await send(method, path, body: body, headers: headers)
        guard (200..<300).contains(status) else { throw Failure.refused(status: status, message: APIEndpoint.message(in: data)) }
        do {
            return try JSONDecoder().decode(type, from: Data(data))
        } catch {
            throw Failure.refused(status: status, message: "the server's answer to \(path) is not what this client understands (\(error)); is --server an avserver?")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: (some Encodable)?, headers: [(String, String)] = []) async throws -> (Int, [UInt8]) {
        let encoded = try body.map { Array(try JSONEncoder().encode($0)) }
        do {
            let answer = try await endpoints.exchange(method, path, body: encoded, extraHeaders: headers)
            return (answer.status, answer.body)
        } catch let unreachable as ClusterEndpoints.Unreachable {
            throw Failure.unreachable(unreachable.servers)
        }
    }
}
