import DataPlane
import NIOCore
import Wire

/// Drives one client session: decodes its frames and hands them to the unit. The connection
/// lives on one of the unit's loops (`--threads`), the unit's state on the first: what the
/// connection reads crosses to the unit's loop once per read batch, in order, and directly when
/// both are the same loop.
final class UnitSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let unit: NIOLoopBound<Unit>
    private let overWebSocket: Bool
    /// The client's network as a trusted proxy named it (X-Forwarded-For at a WebSocket upgrade); nil: the peer's.
    private let forwardedNetwork: String?
    /// The session, set and read on the unit's loop only.
    private let session: NIOLoopBoundBox<UnitSession?>
    /// Frames read in the current read batch, on the connection's loop.
    private var frames: [ByteBuffer] = []
    private var connected = false

    init(unit: NIOLoopBound<Unit>, overWebSocket: Bool = false, forwardedNetwork: String? = nil) {
        self.unit = unit
        self.overWebSocket = overWebSocket
        self.forwardedNetwork = forwardedNetwork
        session = .makeEmptyBox(valueType: UnitSession.self, eventLoop: unit.eventLoop)
    }

    /// Runs `body` on the unit's loop: now when the connection lives there, else queued behind
    /// everything this connection handed over before.
    private func onUnit(_ body: @escaping @Sendable (Unit, NIOLoopBoundBox<UnitSession?>) -> Void) {
        let unit = self.unit
        let session = self.session
        if unit.eventLoop.inEventLoop {
            body(unit.value, session)
        } else {
            unit.eventLoop.execute { body(unit.value, session) }
        }
    }

    /// Added after a WebSocket upgrade, the connection is already active.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { connect(context.channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        connect(context.channel)
        context.fireChannelActive()
    }

    private func connect(_ channel: Channel) {
        guard !connected else { return }
        connected = true
        // The direct writer lives on the connection's loop; the unit hands it chunks there.
        let writer = (try? channel.pipeline.syncOperations.handler(type: DirectWriteHandler.self)).map { NIOLoopBound($0, eventLoop: channel.eventLoop) }
        let (overWebSocket, forwardedNetwork) = (self.overWebSocket, self.forwardedNetwork)
        onUnit { unit, session in
            session.value = unit.sessionConnected(channel, overWebSocket: overWebSocket, writer: writer, network: forwardedNetwork)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        handOver()
        context.fireChannelReadComplete()
    }

    /// The read batch's frames to the unit, then its flush.
    private func handOver() {
        guard !frames.isEmpty else { return }
        let batch = frames
        frames.removeAll(keepingCapacity: true)
        onUnit { unit, session in
            guard let session = session.value else { return }
            for frame in batch { Self.handle(frame, on: session, unit: unit) }
            unit.flushMedia()
        }
    }

    private static func handle(_ frame: ByteBuffer, on session: UnitSession, unit: Unit) {
        // A closed session may still be lingering for its refusal to be read: ignore the rest.
        guard session.phase != .closed else { return }
        session.lastHeard = unit.clock.deadline()
        do {
            if session.phase == .awaitingHello {
                unit.helloReceived(try ControlCoder.decodeHello(from: frame), on: session)
                return
            }
            switch try SessionFrame(frame: frame) {
            case .media(let packet): unit.mediaFromSession(packet, on: session)
            case .message(let message): unit.receive(message, on: session)
            }
        } catch let error as WireError {
            unit.counters.droppedMalformed += 1
            unit.refuse(session, ControlError(error))
        } catch {
            unit.refuse(session, ControlError(.malformed, "\(error)"))
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            onUnit { unit, session in
                guard let session = session.value, let channelID = session.channel, let channel = unit.channels[channelID] else { return }
                channel.router.pump(session)
                unit.flushMedia()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handOver()
        onUnit { unit, session in
            if let session = session.value { unit.sessionClosed(session) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversized or malformed framing: this session ends, nobody else notices.
        guard let wireError = error as? WireError else {
            context.close(promise: nil)
            return
        }
        handOver()
        onUnit { unit, session in
            guard let session = session.value, session.phase != .closed else { return }
            unit.counters.droppedMalformed += 1
            unit.refuse(session, ControlError(wireError))
        }
    }
}
