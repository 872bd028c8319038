#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small JSON-over-HTTP/1.1 client for the cluster's own APIs (web portal, CSM admin): one
/// connection per request, bodies capped.
public struct HTTPClient: Sendable {
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

    public var host: String
    public var port: Int
    public var headers: [(String, String)]
    /// How long a server may stay silent before the request fails.
    public var answerTimeout: TimeAmount = .seconds(15)
    public static let maxBodySize = 8 << 20

    public init(host: String, port: Int, headers: [(String, String)] = []) {
        self.host = host
        self.port = port
        self.headers = headers
    }

    /// "http://host:port" (a path after it is ignored).
    public init?(url: String, headers: [(String, String)] = []) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        let authority = rest.prefix { $0 != "/" }
        let parts = authority.split(separator: ":")
        guard let host = parts.first, parts.count <= 2 else { return nil }
        let port = parts.count == 2 ? Int(parts[1]) : 80
        guard let port else { return nil }
        self.init(host: String(host), port: port, headers: headers)
    }

    /// What a server answered.
    public struct Response: Sendable {
        public var status: Int
        /// The `Retry-After` header in seconds: the server is unavailable for a moment only.
        public var retryAfterSeconds: Int?
        public var body: [UInt8]
    }

    /// Sends a request and returns the status and body.
    public func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        let response = try await exchange(method, path, body: body)
        return (response.status, response.body)
    }

    /// Sends a request and returns the whole answer.
    public func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> Response {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(3))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: answerTimeout), CloseWhenIdle()])
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let timeout = Duration.nanoseconds(answerTimeout.nanoseconds).secondsText
        let noAnswer = Failure(status: 0, message: "\(host):\(port) closed the connection or sent no answer within \(timeout) s; is the server overloaded or stuck?")
        do {
            return try await channel.executeThenClose { inbound, outbound in
                guard let answer = try await self.exchange(head(method, path, body: body), body: body, inbound: inbound, outbound: outbound) else {
                    throw noAnswer
                }
                return answer
            }
        } catch is ChannelError {
            // The server (or the idle timeout) closed the connection while the request was written.
            throw noAnswer
        }
    }

    private func head(_ method: HTTPMethod, _ path: String, body: [UInt8]?) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: "\(body.count)")
        }
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        return head
    }

    /// Writes the request and reads the answer; nil when the connection ends before a whole one.
    private func exchange(
        _ head: HTTPRequestHead, body: [UInt8]?,
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) async throws -> Response? {
        try await outbound.write(.head(head))
        if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
        var answer = Response(status: 0, body: [])
        for try await part in inbound {
            switch part {
            case .head(let response):
                answer.status = Int(response.status.code)
                answer.retryAfterSeconds = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            case .body(let chunk):
                guard answer.body.count + chunk.readableBytes <= Self.maxBodySize else {
                    throw Failure(status: answer.status, message: "response larger than \(Self.maxBodySize) bytes")
                }
                answer.body += chunk.readableBytesView
            case .end: return answer
            }
        }
        return nil
    }
    /// Sends JSON, expects 2xx, decodes the JSON answer.
    public func json<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Int>.none, as type: Answer.Type) async throws -> Answer {
        let encoded = try body.map { Array(try JSONEncoder().encode($0)) }
        let (status, data) = try await send(method, path, body: encoded)
        guard (200..<300).contains(status) else { throw Failure(status: status, message: Self.message(in: data)) }
        return try JSONDecoder().decode(type, from: Data(data))
    }

    /// The `message` of a JSON error body, or the body as text.
    static func message(in body: [UInt8]) -> String {
        struct Wrapped: Decodable { struct Inner: Decodable { var message: String }; var error: Inner }
        if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: Data(body)) { return wrapped.error.message }
        return String(decoding: body.prefix(500), as: UTF8.self)
    }
}
