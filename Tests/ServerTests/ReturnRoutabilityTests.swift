import Client
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire

@testable import Server

/// A UDP socket that records every datagram it receives and never answers: the victim whose
/// address an attacker puts as the source of its binds.
final class DatagramRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let received = NIOLockedValueBox<[ByteBuffer]>([])

    var datagrams: [ByteBuffer] { received.withLockedValue { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        received.withLockedValue { $0.append(envelope.data) }
    }

    static func bind(host: String) async throws -> (DatagramRecorder, Channel) {
        let recorder = DatagramRecorder()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) } }
            .bind(host: host, port: 0).get()
        return (recorder, channel)
    }
}

@Suite(.serialized) struct ReturnRoutabilityTests {
    @Test func aSpoofedSourceGetsOneSmallChallengeARequestAndNoMedia() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        // The attacker holds a real session (its ticket and bind token are valid) ...
        let attacker = try await harness.connect(.viewer, udp: false, name: "attacker")
        // ... and sends its binds with another address as their source: 127.0.0.2, a second
        // address of this machine, stands for the victim.
        let (victim, socket) = try await DatagramRecorder.bind(host: "127.0.0.2")
        let unitMedia = try SocketAddress(ipAddress: "127.0.0.1", port: harness.unit.address.mediaPort)
        let requests = 10
        for _ in 0..<requests {
            let request = BindDatagram.request(session: attacker.opened.session, token: attacker.opened.bindToken, cookie: .none)
            try await socket.writeAndFlush(AddressedEnvelope(remoteAddress: unitMedia, data: request.encoded()))
        }
        // A cookie made for another address is no good either.
        let guessed = BindDatagram.request(session: attacker.opened.session, token: attacker.opened.bindToken, cookie: BindCookie(bytes: [7, 7, 7]))
        try await socket.writeAndFlush(AddressedEnvelope(remoteAddress: unitMedia, data: guessed.encoded()))

        // The channel is on the air meanwhile.
        var stream = TestStream()
        _ = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<50)
        try await Task.sleep(for: .milliseconds(300))

        let got = victim.datagrams
        #expect(got.count <= requests + 1, "at most one reply a request")
        #expect(!got.isEmpty, "the challenges reach the source address")
        for datagram in got {
            #expect(datagram.readableBytes == BindDatagram.replySize && BindDatagram.replySize < BindDatagram.requestSize)
            guard case .reply(_, _, let bound)? = try? BindDatagram(parsing: datagram) else {
                Issue.record("the victim got something other than a bind reply: \(datagram.readableBytes) bytes")
                continue
            }
            #expect(!bound)
        }
        #expect(try await harness.unit.inspect { unit in unit.udpBindings.isEmpty == false && unit.udpBindings.address(of: attacker.opened.session) == nil })
        try await socket.close()
        await attacker.close()
        await broadcaster.close()
        try await harness.shutdown()
    }
}
