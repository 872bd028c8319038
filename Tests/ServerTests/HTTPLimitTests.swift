import Client
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Server

/// A TCP connection that writes what it is told and notes when the server closes it.
final class RawTCPPeer: Sendable {
    let channel: Channel
    private let closedBox: NIOLockedValueBox<Bool>

    init(port: Int, from source: String) async throws {
        let closedBox = NIOLockedValueBox(false)
        self.closedBox = closedBox
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.closeFuture.whenComplete { _ in closedBox.withLockedValue { $0 = true } }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    var closed: Bool { closedBox.withLockedValue { $0 } }

    func send(_ text: String) { channel.writeAndFlush(ByteBuffer(string: text), promise: nil) }
}

/// Attack 6 of the second round: bodies trickled a byte at a time, and more connections than a
/// port should hold, on the portal and the CSM's HTTP port.
@Suite struct HTTPLimitTests {
    static func trickle(port: Int, from source: String, connections: Int, for duration: Duration) async throws -> [RawTCPPeer] {
        var peers: [RawTCPPeer] = []
        for _ in 0..<connections {
            let peer = try await RawTCPPeer(port: port, from: source)
            peer.send("POST /api/channels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            peers.append(peer)
        }
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            for peer in peers where !peer.closed { peer.send(" ") }
            try await Task.sleep(for: .milliseconds(400))
        }
        return peers
    }

    @Test func aBodyTrickledAByteAtATimeIsCutAtTheRequestDeadline() async throws {
        let csm = try await RunningCSM.start { $0.httpIdleTimeout = .seconds(2); $0.httpLimits.requestTimeout = .seconds(2) }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let web = try await RunningWeb.start(csm: csm) { $0.httpLimits.requestTimeout = .seconds(2) }
        for (name, port) in [("CSM", csm.ports.http), ("portal", web.port)] {
            let start = ContinuousClock.now
            let peers = try await Self.trickle(port: port, from: "127.0.0.9", connections: 30, for: .seconds(4))
            let open = peers.count { !$0.closed }
            print("\(name): connections still open after trickling a body for 4 s past a 2 s deadline: \(open) of \(peers.count) (\(ContinuousClock.now - start))")
            #expect(open == 0)
            // Meanwhile others are served.
            let answer = try await RawHTTP.send(port: port, from: "127.0.0.2", "GET", "/api/channels")
            #expect(answer.status == 200)
            for peer in peers { try? await peer.channel.close() }
        }
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    @Test func oneNetworkHoldsAtMostItsShareOfConnections() async throws {
        let csm = try await RunningCSM.start()
        let web = try await RunningWeb.start(csm: csm)
        let limit = HTTPConnectionLimits().perNetwork
        for (name, port) in [("CSM", csm.ports.http), ("portal", web.port)] {
            var peers: [RawTCPPeer] = []
            for _ in 0..<(limit + 40) { peers.append(try await RawTCPPeer(port: port, from: "127.0.0.10")) }
            #expect(await eventually(timeout: .seconds(3)) { peers.count(where: \.closed) == 40 })
            print("\(name): of \(limit + 40) silent connections from one address, \(peers.count(where: \.closed)) closed at once (cap \(limit))")
            #expect(try await RawHTTP.send(port: port, from: "127.0.0.11", "GET", "/api/channels").status == 200)
            for peer in peers { try? await peer.channel.close() }
        }
        await web.stop()
        await csm.stop()
    }
}
