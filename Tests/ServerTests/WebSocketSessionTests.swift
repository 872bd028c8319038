import Client
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// A raw TCP peer of the unit's WebSocket port: writes whatever bytes a test gives it, keeps what
/// comes back, and notes when the unit closes.
final class RawWebSocketPeer: Sendable {
    private let channel: Channel
    private let state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>

    init(port: Int) async throws {
        let state = NIOLockedValueBox((bytes: [UInt8](), closed: false))
        self.state = state
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(state: state)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>
        init(state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>) { self.state = state }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            state.withLockedValue { $0.bytes += buffer.readableBytesView }
        }
        func channelInactive(context: ChannelHandlerContext) { state.withLockedValue { $0.closed = true } }
    }

    var text: String { String(decoding: state.withLockedValue { $0.bytes }, as: UTF8.self) }
    var closed: Bool { state.withLockedValue { $0.closed } }

    func send(_ bytes: [UInt8]) async throws { try await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }

    /// The upgrade request a browser sends.
    func upgrade(path: String = "/session") async throws {
        try await send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
    }

    /// One client frame (masked, as RFC 6455 requires of clients).
    func frame(opcode: UInt8, _ payload: [UInt8], claimedLength: UInt64? = nil) async throws {
        var bytes: [UInt8] = [0x80 | opcode]
        let length = claimedLength ?? UInt64(payload.count)
        if length < 126 {
            bytes.append(0x80 | UInt8(length))
        } else if length <= 0xFFFF {
            bytes += [0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            bytes.append(0x80 | 127)
            bytes += (0..<8).map { UInt8(truncatingIfNeeded: length >> (56 - 8 * $0)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        bytes += mask
        bytes += payload.enumerated().map { $1 ^ mask[$0 % 4] }
        try await send(bytes)
    }

    func close() async { try? await channel.close() }
}

/// The unit's WebSocket port under what a stranger may send: plain HTTP, text messages, broken
/// JSON, absurd lengths. Each gets a clear answer and a closed connection; a session next to them
/// goes on.
@Suite struct WebSocketSessionTests {
    @Test func strangersOnTheWebSocketPortAreAnsweredAndClosedAndNobodyElseNotices() async throws {
        let harness = try await UnitHarness()
        let port = try #require(harness.unit.address.webSocketPort)
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = try await harness.connect(.viewer, udp: false, name: "bystander")
        let recorder = EventRecorder(viewer)
        viewer.send(.setMode(.tcp, reason: "test"))
        #expect(await recorder.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })

        // Plain HTTP: told what the port is for, closed.
        let plain = try await RawWebSocketPeer(port: port)
        try await plain.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(await eventually { plain.closed })
        #expect(plain.text.hasPrefix("HTTP/1.1 404") && plain.text.contains("WebSocket at /session"), "\(plain.text)")
        let noUpgrade = try await RawWebSocketPeer(port: port)
        try await noUpgrade.send(Array("GET /session HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(await eventually { noUpgrade.closed })
        #expect(noUpgrade.text.hasPrefix("HTTP/1.1 426"), "\(noUpgrade.text)")

        // A text message: the session's error, then closed.
        let text = try await RawWebSocketPeer(port: port)
        try await text.upgrade()
        #expect(await eventually { text.text.contains("101 Switching Protocols") })
        try await text.frame(opcode: 0x1, Array(#"{"hello":{"_0":{"protocolVersion":2,"peer":"viewer","name":"x"}}}"#.utf8))
        #expect(await eventually { text.closed })
        #expect(text.text.contains("binary messages"), "\(text.text)")

        // Broken JSON as the first message: not a hello.
        let broken = try await RawWebSocketPeer(port: port)
        try await broken.upgrade()
        try await broken.frame(opcode: 0x2, Array("{not json".utf8))
        #expect(await eventually { broken.closed })
        #expect(broken.text.contains("expectedHello"), "\(broken.text)")

        // A frame that claims a terabyte.
        let huge = try await RawWebSocketPeer(port: port)
        try await huge.upgrade()
        try await huge.frame(opcode: 0x2, [1, 2, 3], claimedLength: 1 << 40)
        #expect(await eventually { huge.closed })

        // A hello and a forged ticket: refused with the ticket's error.
        let forged = try await RawWebSocketPeer(port: port)
        try await forged.upgrade()
        try await forged.frame(opcode: 0x2, try ControlCoder.encode(SessionMessage.hello(Hello(peer: .viewer, name: "mallory"))))
        try await forged.frame(opcode: 0x2, try ControlCoder.encode(SessionMessage.open(ticket: "forged.ticket", name: "mallory")))
        #expect(await eventually { forged.closed })
        #expect(forged.text.contains("badTicket") || forged.text.contains("malformedTicket") || forged.text.contains("Ticket"), "\(forged.text)")

        // The bystander still gets the broadcaster's media.
        let before = recorder.recorded.packets.count
        var sender = RTPSender(payloadType: 111, ssrc: 5, firstSequenceNumber: 100)
        for sequence in 0..<20 {
            broadcaster.sendMedia([sender.packet(payload: [0xFC, 1, 2], timestamp: UInt32(sequence * 960), capturedAt: .now)], via: .tcp)
        }
        #expect(await recorder.wait { $0.packets.count >= before + 20 }, "\(recorder.recorded.packets.count - before) packets")
        for peer in [plain, noUpgrade, text, broken, huge, forged] { await peer.close() }
        await viewer.close()
        await broadcaster.close()
        try await harness.shutdown()
    }

    /// Behind a TLS proxy the unit announces the proxy's port; with `off` it announces none.
    @Test func theUnitAnnouncesItsWebSocketPortOrTheProxysOrNone() async throws {
        let proxied = try await UnitHarness { $0.webSocketPublicPort = 8443 }
        #expect(proxied.unit.address.webSocketPort == 8443)
        try await proxied.shutdown()
        let none = try await UnitHarness { $0.webSocketPort = nil }
        #expect(none.unit.address.webSocketPort == nil)
        try await none.shutdown()
    }
}
