import NIOCore
import Wire

/// Drives one client session: decodes its frames and hands them to the unit. Runs on the unit's
/// event loop, so it calls the unit directly.
final class UnitSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let unit: Unit
    private let overWebSocket: Bool
    private var session: UnitSession?

    init(unit: Unit, overWebSocket: Bool = false) {
        self.unit = unit
        self.overWebSocket = overWebSocket
    }

    /// Added after a WebSocket upgrade, the connection is already active.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive, session == nil { session = unit.sessionConnected(context.channel, overWebSocket: overWebSocket) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if session == nil { session = unit.sessionConnected(context.channel, overWebSocket: overWebSocket) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A closed session may still be lingering for its refusal to be read: ignore the rest.
        guard let session, session.phase != .closed else { return }
        session.lastHeard = .now()
        let frame = Self.unwrapInboundIn(data)
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

    func channelReadComplete(context: ChannelHandlerContext) {
        unit.flushMedia()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let session, let channelID = session.channel, let channel = unit.channels[channelID] {
            unit.pump(session, in: channel)
            unit.flushMedia()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { unit.sessionClosed(session) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversized or malformed framing: this session ends, nobody else notices.
        if let session, session.phase == .closed { return }
        if let session, let wireError = error as? WireError {
            unit.counters.droppedMalformed += 1
            unit.refuse(session, ControlError(wireError))
        } else {
            context.close(promise: nil)
        }
    }
}
