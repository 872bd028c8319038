import Logging
import NIOCore
import Wire

/// The CSM's end of one unit's control link: hello, announce, then reports and events in order.
struct UnitLinkSession {
    let manager: ClusterManager
    let link: UInt64
    let logger: Logger

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var unit: UnitID?
        try? await connection.executeThenClose { inbound, outbound in
            var sawHello = false
            for try await frame in inbound {
                if !sawHello {
                    do {
                        _ = try ControlCoder.decodeHello(from: frame)
                    } catch let error as WireError {
                        try? await outbound.write(message: CSMMessage.error(ControlError(error)))
                        return
                    }
                    sawHello = true
                    try await outbound.write(message: CSMMessage.hello(Hello(peer: .csm, name: "csm")))
                    continue
                }
                let message: UnitMessage
                do {
                    message = try ControlCoder.decode(UnitMessage.self, from: frame)
                } catch {
                    try? await outbound.write(message: CSMMessage.error(ControlError(.malformed, "\(error)")))
                    continue
                }
                switch message {
                case .announce(let announcement):
                    if let error = await manager.unitAnnounced(announcement, link: link, channel: connection.channel) {
                        try? await outbound.write(message: CSMMessage.error(error))
                        return
                    }
                    unit = announcement.address.unit
                case .report(let report) where report.unit == unit:
                    await manager.unitReported(report)
                case .event(let event) where event.unit == unit:
                    await manager.unitEvent(event)
                case .commandResult(let id, let error?):
                    logger.warning("unit \(unit.map { "\($0)" } ?? "?") could not carry out command \(id): \(error)")
                default:
                    break
                }
            }
        }
        if let unit { await manager.unitLinkClosed(unit, link: link) }
    }
}
