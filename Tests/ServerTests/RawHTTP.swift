import NIOCore
import NIOPosix

/// One HTTP/1.1 request written by hand from a chosen source address, as an attacker writes it
/// (any spelling of the path, any header), and the status of the answer.
enum RawHTTP {
    struct Answer {
        var status: Int
        var text: String
    }

    static func send(
        port: Int, from source: String = "127.0.0.1", _ method: String, _ path: String, headers: [String] = [],
        contentType: String = "application/json", body: String = ""
    ) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let head = (["\(method) \(path) HTTP/1.1", "Host: x", "Content-Type: \(contentType)", "Content-Length: \(body.utf8.count)", "Connection: close"] + headers)
                .joined(separator: "\r\n")
            try await outbound.write(ByteBuffer(string: head + "\r\n\r\n" + body))
            var text = ""
            for try await chunk in inbound { text += String(decoding: chunk.readableBytesView, as: UTF8.self) }
            let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
            return Answer(status: status, text: text)
        }
    }

    static let openBody = #"{"title":"x","broadcasterName":"y"}"#
}
