import Client
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Viewer

/// `viewer load`'s UDP path over real sockets: a viewer socket connected to a stand-in unit, read
/// by the receive loop's thread.
@Suite struct ReceiveLoopTests {
    /// A UDP socket standing in for a unit's media port: it records who sent what.
    final class StandInUnit: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let arrivals: AsyncStream<AddressedEnvelope<ByteBuffer>>
        private let continuation: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation

        init() { (arrivals, continuation) = AsyncStream.makeStream() }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(Self.unwrapInboundIn(data)) }
    }

    struct Delivery {
        var sequenceNumber: UInt16
        var arrival: CaptureTime
        var instant: ContinuousClock.Instant
    }

    static func datagramSocket(_ handler: (any ChannelHandler & Sendable)? = nil) async throws -> Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { if let handler { try channel.pipeline.syncOperations.addHandler(handler) } }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Polls `condition` until it holds or 10 s pass.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func aViewerSocketGetsItsUnitsDatagramsWithKernelArrivalTimesAndNothingFromOthers() async throws {
        let unitHandler = StandInUnit()
        let unit = try await Self.datagramSocket(unitHandler)
        let stranger = try await Self.datagramSocket()
        defer {
            unit.close(promise: nil)
            stranger.close(promise: nil)
        }
        let deliveries = NIOLockedValueBox<[Delivery]>([])
        let loop = ReceiveLoop()
        let socket = try ViewerSocket(unit: unit.localAddress!) { datagram, arrival, instant in
            guard let header = RTPHeaderView(datagram) else { return }
            deliveries.withLockedValue { $0.append(Delivery(sequenceNumber: header.sequenceNumber, arrival: arrival, instant: instant)) }
        }
        loop.add(socket)

        // The bind exchange: the request reaches the unit from the viewer's address, the reply is noticed.
        let opened = SessionOpened(
            session: SessionID(7), channel: ChannelID(1), group: GroupID(1), role: .viewer,
            bindToken: BindToken(bytes: [UInt8](repeating: 9, count: BindToken.size)), mediaPort: 0, mode: .udp)
        socket.binding.start(opened)
        socket.sendBind()
        var requests = unitHandler.arrivals.makeAsyncIterator()
        let request = try #require(await requests.next())
        #expect(request.data == BindClient(opened).request)
        let viewerAddress = request.remoteAddress
        // A challenge is echoed at once with its cookie; then the unit says the socket is bound.
        let cookie = BindCookie(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        try await unit.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: BindDatagram.reply(session: SessionID(7), cookie: cookie, bound: false).encoded()))
        let echo = try #require(await requests.next())
        #expect(try BindDatagram(parsing: echo.data) == .request(session: 7, token: opened.bindToken, cookie: cookie))
        try await unit.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: BindDatagram.reply(session: SessionID(7), cookie: cookie, bound: true).encoded()))
        var replies = socket.bindReplies.makeAsyncIterator()
        await replies.next()

        // 100 packets from the unit and 10 from someone else, 2 ms apart.
        var sender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType, firstSequenceNumber: 0)
        var strangerSender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType, firstSequenceNumber: 1000)
        let firstSent = CaptureTime.now
        for index in 0..<100 {
            // Awaited: the send has happened when the write completes.
            let packet = sender.packet(payload: [1, 2, 3], timestamp: UInt32(index * 960), capturedAt: .now)
            try await unit.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: packet))
            if index % 10 == 0 {
                let packet = strangerSender.packet(payload: [4], timestamp: 0, capturedAt: .now)
                try await stranger.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: packet))
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let lastSent = CaptureTime.now
        try await Self.waitUntil { deliveries.withLockedValue { $0.count } >= 100 }
        try await Task.sleep(for: ReceiveLoop.defaultTick * 2)
        let got = deliveries.withLockedValue { $0 }

        #expect(got.map(\.sequenceNumber) == Array(0..<100))
        // Stamped by the kernel on arrival: within the sending window, not at the loop's later read.
        #expect(got.allSatisfy { $0.arrival >= firstSent && $0.arrival <= lastSent })
        // Each its own time, 2 ms or so apart, where the loop's reads (every 100 ms) would give a few.
        #expect(Set(got.map(\.arrival.microsecondsSinceEpoch)).count > 50)
        #expect(got.first!.instant < got.last!.instant)

        // Removed: its descriptor is closed and nothing more is read.
        loop.remove(socket)
        let packet = sender.packet(payload: [1], timestamp: 0, capturedAt: .now)
        unit.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: packet), promise: nil)
        try await Task.sleep(for: ReceiveLoop.defaultTick * 2)
        #expect(deliveries.withLockedValue { $0.count } == 100)
        loop.stop()
    }

    @Test func datagramsAFullBufferDroppedAreCountedExactly() async throws {
        let unit = try await Self.datagramSocket(StandInUnit())
        defer { unit.close(promise: nil) }
        let delivered = NIOLockedValueBox(0)
        let loop = ReceiveLoop()
        let socket = try ViewerSocket(unit: unit.localAddress!) { _, _, _ in delivered.withLockedValue { $0 += 1 } }
        loop.add(socket)
        var address = sockaddr_in()
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &size) } }
        let viewerAddress = SocketAddress(address, host: "127.0.0.1")

        // 3,000 datagrams of 1,200 bytes at once: far more than a receive buffer holds until the next read.
        var sender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
        for _ in 0..<3000 {
            let packet = sender.packet(payload: [UInt8](repeating: 0, count: 1200), timestamp: 0, capturedAt: .now)
            unit.write(AddressedEnvelope(remoteAddress: viewerAddress, data: packet), promise: nil)
        }
        try await unit.writeAndFlush(AddressedEnvelope(remoteAddress: viewerAddress, data: sender.packet(payload: [1], timestamp: 0, capturedAt: .now)))
        try await Self.waitUntil { delivered.withLockedValue { $0 } + loop.dropped >= 3001 }
        loop.remove(socket)

        let got = delivered.withLockedValue { $0 }
        #expect(loop.dropped > 0)
        #expect(got + loop.dropped == 3001, "\(got) delivered, \(loop.dropped) dropped")
        loop.stop()
    }
}
