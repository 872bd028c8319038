import Client
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitSecurityTests {
    @Test func anAddressThatHasNotBoundGetsNothingWhateverItSends() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        let intruderClient = try await harness.connect(.viewer, udp: false, name: "intruder")
        let intruder = EventRecorder(intruderClient)

        var stream = TestStream()
        var garbage = TestStream()
        for step in 0..<50 {
            // RTP pretending to be the broadcaster, a bind with a wrong token, a bind for a session
            // that does not exist, a truncated bind and junk.
            intruderClient.sendMedia(garbage.next(step: step), via: .udp)
            intruderClient.sendRawDatagram(BindDatagram.request(session: intruderClient.opened.session, token: .random(), cookie: .none).encoded())
            intruderClient.sendRawDatagram(BindDatagram.request(session: 999_999, token: .random(), cookie: .none).encoded())
            intruderClient.sendRawDatagram(ByteBuffer(bytes: [1, 1, 0]))
            intruderClient.sendRawDatagram(ByteBuffer(bytes: [0x42, 0x13, 0x37]))
        }
        let sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<50)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        try await Task.sleep(for: .milliseconds(200))
        #expect(intruder.recorded.packets.isEmpty)
        let counters = try await harness.unit.inspect { $0.counters }
        #expect(counters.droppedUnboundMedia >= 100)
        #expect(counters.droppedBadBinds >= 150)
        #expect(counters.droppedMalformed >= 50)
        try await harness.shutdown()
    }

    @Test func badTicketsAreRefusedWithTheReasonAndNobodyElseNotices() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        let address = harness.unit.address

        let reused = harness.ticket(role: .viewer)
        _ = try await SessionClient.connect(to: address, ticket: reused, peer: .viewer, name: "first")
        let cases: [(ticket: String, says: String)] = [
            (harness.ticket(role: .viewer, expiresIn: -5_000), "expired"),
            (TicketSigner(secret: "forged").sign(Ticket(channel: 7, group: 1, role: .viewer, unit: 1, expiresAtMilliseconds: .max)), "signature is invalid"),
            (harness.ticket(role: .viewer, unit: 2), "ticket is for unit 2"),
            (reused, "already used"),
            ("not a ticket", "malformed"),
            (harness.ticket(group: 51, role: .viewer), "has no group 51"),
            (harness.ticket(channel: 8, role: .viewer), "serves channel 7"),
        ]
        for (ticket, says) in cases {
            await #expect(throws: ClientError.self) {
                do {
                    _ = try await SessionClient.connect(to: address, ticket: ticket, peer: .viewer, name: "bad")
                } catch let error as ClientError {
                    #expect("\(error)".contains(says), "\(error)")
                    throw error
                }
            }
        }
        var stream = TestStream()
        let sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<20)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        let refused = try await harness.unit.inspect { $0.counters.sessionsRefused }
        #expect(refused == UInt64(cases.count))
        try await harness.shutdown()
    }

    @Test func aFullGroupRefusesMoreViewers() async throws {
        let harness = try await UnitHarness { $0.groupCapacity = 2 }
        _ = try await harness.connect(.viewer, udp: false)
        _ = try await harness.connect(.viewer, udp: false)
        await #expect(throws: ClientError.self) { _ = try await harness.connect(.viewer, udp: false) }
        _ = try await harness.connect(.viewer, group: 2, udp: false)  // another group still has room
        try await harness.shutdown()
    }

    /// Raw TCP: what a unit says to a peer that breaks the protocol.
    static func rawExchange(_ unit: UnitAddress, send bytes: ByteBuffer) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: unit.host, port: unit.sessionPort) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(bytes)
            var received = ByteBuffer()
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
            return String(decoding: received.readableBytesView, as: UTF8.self)
        }
    }

    @Test func protocolBreakersGetAClearErrorAndTheUnitGoesOn() async throws {
        let harness = try await UnitHarness()
        let address = harness.unit.address
        var future = ByteBuffer()
        try LengthPrefixedFramer.rfc4571.write(bytes: Array(#"{"hello":{"_0":{"protocolVersion":9,"peer":"viewer","name":"v9"}}}"#.utf8), to: &future)
        let mismatch = try await Self.rawExchange(address, send: future)
        #expect(mismatch.contains("this side speaks version 2, the peer speaks version 9"))

        var noHello = ByteBuffer()
        try SessionFrame.message(.open(ticket: "x", name: "x")).write(to: &noHello)
        #expect(try await Self.rawExchange(address, send: noHello).contains("must be a hello"))

        var huge = ByteBuffer()
        try SessionFrame.message(.hello(Hello(peer: .viewer, name: "v"))).write(to: &huge)
        try LengthPrefixedFramer.rfc4571.write(bytes: [UInt8](repeating: 0x7B, count: 65_535), to: &huge)
        #expect(try await Self.rawExchange(address, send: huge).contains("malformed"))

        // After all that, the unit still serves.
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        var stream = TestStream()
        let sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<10)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        try await harness.shutdown()
    }
}
