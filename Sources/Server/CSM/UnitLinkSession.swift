import Logging
import NIOCore
import Wire

/// The CSM's end of a control link on its unit port, once `LinkAuthenticationHandler` has seen
/// it prove its key: a unit (its hello, announce of the one unit id its key is for, then reports
/// and events in order), or the peer CSM (its hello, then heartbeats). Malformed or out-of-range messages are refused with
/// an error and logged; the link stays.
struct UnitLinkSession {
    let manager: ClusterManager
    let link: UInt64
    let logger: Logger

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var unit: UnitID?
        try? await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            guard let first = try await frames.next() else { return }
            let hello: Hello
            do {
                hello = try ControlCoder.decodeHello(from: first)
            } catch let error as WireError {
                try? await outbound.write(message: CSMMessage.error(ControlError(error)))
                return
            }
            if hello.peer == .csm {
                // A CSM under this one's own name (another pair's, or itself through its --peer):
                // its heartbeats would pass for the peer's, its units for the members and its
                // primary for a reason never to campaign. Kept open and not heard, so that its
                // sender does not reconnect and log this again every beat.
                guard hello.name != manager.name else {
                    logger.error("peer CSM link ignored: it is named \(hello.name) as this CSM is; two CSMs of a pair need different --name")
                    while try await frames.next() != nil {}
                    return
                }
                while let frame = try await frames.next() {
                    switch Result(catching: { try ControlCoder.decode(PeerMessage.self, from: frame) }) {
                    case .success(.heartbeat(let heartbeat)): await manager.peerHeartbeat(heartbeat)
                    case .success(.hello): break
                    case .failure(let error): logger.warning("peer CSM \(hello.name): message refused: \(error)")
                    }
                }
                return
            }
            // The key the link proved is this unit's alone (`ClusterKeys.unitLink`): it speaks for that unit id and no other.
            let proven = LinkIdentity.unit(named: hello.name)
            while let frame = try await frames.next() {
                let message: UnitMessage
                do {
                    message = try ControlCoder.decode(UnitMessage.self, from: frame)
                } catch {
                    let refusal = (error as? WireError).map(ControlError.init) ?? ControlError(.malformed, "\(error)")
                    logger.warning("unit link \(hello.name): message refused: \(refusal)")
                    try? await outbound.write(message: CSMMessage.error(refusal))
                    continue
                }
                switch message {
                case .announce(let announcement) where announcement.address.unit != proven || (unit != nil && unit != announcement.address.unit):
                    let refusal = ControlError(
                        .notAllowed, "this link proved the key of \(hello.name); it may announce that unit only, not unit \(announcement.address.unit)")
                    logger.warning("unit link \(hello.name): \(refusal.message)")
                    try? await outbound.write(message: CSMMessage.error(refusal))
                    return
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
                case .lease(let id, let epoch, let granted, let holder):
                    if let unit { await manager.leaseAnswered(by: unit, id: id, epoch: epoch, grantedMilliseconds: granted, holder: holder) }
                case .publish(let id, let key, let publisher):
                    if let unit { await manager.publisherArrived(at: unit, request: id, streamKey: key, publisher: publisher) }
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
