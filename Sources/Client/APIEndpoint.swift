import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1

/// One server's JSON API (a web portal, a CSM's client and admin APIs) at host:port, over
/// AsyncHTTPClient: pooled keep-alive connections, a connect timeout and an answer deadline per
/// request, bodies capped. `ClusterEndpoints` holds several and finds the one to talk to.
public struct APIEndpoint: Sendable {
    /// An answer that is not 2xx: the status and the server's message.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var status: Int
        public var message: String
        public var description: String { "HTTP \(status): \(message)" }

        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }
    }

    /// What a server answered.
    public struct Response: Sendable {
        public var status: Int
        /// The `Retry-After` header in seconds: the server is unavailable for a moment only.
        public var retryAfterSeconds: Int?
        public var body: [UInt8]
    }

    public var host: String
    public var port: Int
    public var headers: [(String, String)]
    /// How long a server may take to answer before the request fails.
    public var answerTimeout: TimeAmount = .seconds(15)
    public static let maxBodySize = 8 << 20

    /// Every endpoint of the process shares one pool of connections.
    private static let pool: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3))
        configuration.redirectConfiguration = .disallow
        // A server that refuses the connection fails the request at once: `ClusterEndpoints`
        // asks the next server, which beats retrying a dead primary until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // `viewer load` joins hundreds of viewers a second through one portal.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // Closed well before the servers' own idle timeout (15 s), so a request never races the
        // server closing its connection.
        configuration.connectionPool.idleTimeout = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(host: String, port: Int, headers: [(String, String)] = []) {
        self.host = host
        self.port = port
        self.headers = headers
    }

    /// "http://host:port" or "host:port" (a path after it is ignored).
    public init?(url: String, headers: [(String, String)] = []) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.contains("://") { return nil }
        let authority = rest.prefix { $0 != "/" }
        let parts = authority.split(separator: ":")
        guard let host = parts.first, parts.count <= 2 else { return nil }
        let port = parts.count == 2 ? Int(parts[1]) : 80
        guard let port, (1...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port, headers: headers)
    }

    /// host:port, for messages.
    public var authority: String { "\(host):\(port)" }

    /// Sends a request and returns the status and body.
    public func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        let response = try await exchange(method, path, body: body)
        return (response.status, response.body)
    }

    /// Sends a request and returns the whole answer; `extraHeaders` go with this request only.
    public func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, extraHeaders: [(String, String)] = []) async throws -> Response {
        var request = HTTPClientRequest(url: "http://\(authority)\(path)")
        request.method = method
        for (name, value) in headers + extraHeaders { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + answerTimeout
        do {
            let response = try await Self.pool.execute(request, deadline: deadline)
            let answer = try await response.body.collect(upTo: Self.maxBodySize)
            return Response(
                status: Int(response.status.code), retryAfterSeconds: response.headers.first(name: "Retry-After").flatMap { Int($0) },
                body: Array(buffer: answer))
        } catch is NIOTooManyBytesError {
            throw Failure(status: 0, message: "\(authority) sent an answer larger than \(Self.maxBodySize) bytes")
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .remoteConnectionClosed].contains(error) {
            let timeout = Duration.nanoseconds(answerTimeout.nanoseconds).secondsText
            throw Failure(status: 0, message: "\(authority) closed the connection or sent no answer within \(timeout) s; is the server overloaded or stuck?")
        }
    }

    /// Sends JSON, expects 2xx, decodes the JSON answer.
    public func json<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Int>.none, as type: Answer.Type) async throws -> Answer {
        let encoded = try body.map { Array(try JSONEncoder().encode($0)) }
        let (status, data) = try await send(method, path, body: encoded)
        guard (200..<300).contains(status) else { throw Failure(status: status, message: Self.message(in: data)) }
        return try JSONDecoder().decode(type, from: Data(data))
    }

    /// The `message` of a JSON error body, or the body as text.
    public static func message(in body: [UInt8]) -> String {
        struct Wrapped: Decodable { struct Inner: Decodable { var message: String }; var error: Inner }
        if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: Data(body)) { return wrapped.error.message }
        return String(decoding: body.prefix(500), as: UTF8.self)
    }
}
