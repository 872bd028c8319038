import Foundation
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// Attack 7 of the second round on the unit's WebSocket port: pages of another site, and a
/// session that floods pings while reading nothing.
@Suite struct WebSocketHostileTests {
    static func upgrade(port: Int, origin: String?, forwardedFor: String? = nil) async throws -> String {
        let peer = try await RawWebSocketPeer(port: port)
        let originLine = (origin.map { "Origin: \($0)\r\n" } ?? "") + (forwardedFor.map { "X-Forwarded-For: \($0)\r\n" } ?? "")
        try await peer.send(Array("GET /session HTTP/1.1\r\nHost: 127.0.0.1\r\n\(originLine)Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        _ = await eventually(timeout: .seconds(3)) { peer.text.contains("\r\n\r\n") }
        return peer.text
    }

    @Test func onlyThePortalsPagesMayOpenSessions() async throws {
        let harness = try await UnitHarness { $0.allowedOrigins = ["https://portal.example.com"] }
        let port = try await harness.unit.inspect { $0.address.webSocketPort }!
        for origin in ["https://evil.example", "null", "https://portal.example.com.evil.example", "http://portal.example.com"] {
            let answer = try await Self.upgrade(port: port, origin: origin)
            #expect(answer.hasPrefix("HTTP/1.1 403") && answer.contains("--allowed-origin"), "\(origin): \(answer.prefix(200))")
        }
        for origin in ["https://portal.example.com", "http://127.0.0.1:8080", "http://localhost:8080", nil] {
            let answer = try await Self.upgrade(port: port, origin: origin)
            #expect(answer.hasPrefix("HTTP/1.1 101"), "\(origin ?? "no origin"): \(answer.prefix(200))")
        }
        try await harness.shutdown()
    }

    /// Attack 10: behind the TLS proxy the README recommends, every browser shares the proxy's
    /// address; the unit counts each by the address the proxy names, and only a trusted proxy's word.
    @Test func behindATrustedProxyEachBrowserCountsForItsOwnNetwork() async throws {
        let proxied = try await UnitHarness { $0.networks = ClientNetworks(trustedProxies: [CIDR("127.0.0.1")!]) }
        let port = try await proxied.unit.inspect { $0.address.webSocketPort }!
        for client in ["203.0.113.7", "2001:db8:5:6::9"] { _ = try await Self.upgrade(port: port, origin: nil, forwardedFor: client) }
        let networks = try await proxied.unit.inspect { unit in Set(unit.sessions.values.map(\.network)) }
        #expect(networks == ["203.0.113.7", "2001:db8:5:6::/64"], "\(networks)")
        try await proxied.shutdown()
        let direct = try await UnitHarness()
        let directPort = try await direct.unit.inspect { $0.address.webSocketPort }!
        _ = try await Self.upgrade(port: directPort, origin: nil, forwardedFor: "203.0.113.7")
        #expect(try await direct.unit.inspect { unit in unit.sessions.values.map(\.network) } == ["127.0.0.1"], "an untrusted peer's header is ignored")
        try await direct.shutdown()
    }

    /// A client that upgrades, then sends pings as fast as it can and reads nothing.
    @Test func aPingFloodFromAPeerThatReadsNothingQueuesNothing() async throws {
        let harness = try await UnitHarness()
        let port = try await harness.unit.inspect { $0.address.webSocketPort }!
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: "GET /session HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
        // 40,000 pings of 125 bytes (5 MB of pongs, were each answered), masked as a client's are.
        var ping: [UInt8] = [0x89, 0x80 | 125, 1, 2, 3, 4]
        ping += (0..<125).map { UInt8($0 % 256) ^ [1, 2, 3, 4][$0 % 4] }
        let batch = ByteBuffer(bytes: Array([[UInt8]](repeating: ping, count: 1000).joined()))
        for _ in 0..<40 { try await channel.writeAndFlush(batch) }
        try await Task.sleep(for: .milliseconds(500))
        let queued = try await harness.unit.inspect { unit in
            unit.sessions.values.compactMap { try? $0.connection.syncOptions?.getOption(.bufferedWritableBytes) }
        }
        print("bytes the unit holds for a peer that sent 40,000 pings and read nothing: \(queued)")
        #expect(queued.count == 1 && queued.allSatisfy { $0 <= 64 << 10 })
        try await channel.close()
        try await harness.shutdown()
    }
}
