import NIOCore
import Wire

/// The CSM's control links to its units, one per unit (the latest it announced on): commands go
/// straight onto each unit's channel, so they leave in the order decided even while the CSM
/// awaits something else.
struct UnitLinks {
    private var links: [UnitID: (link: UInt64, channel: any Channel)] = [:]
    private var nextCommandID: UInt64 = 1

    /// `unit` announced itself on `link`: it replaces any earlier link of the unit.
    mutating func register(_ unit: UnitID, link: UInt64, channel: any Channel) {
        links[unit] = (link, channel)
    }

    /// A link closed; true when it was the unit's current one (a reconnect may have replaced it).
    mutating func closed(_ unit: UnitID, link: UInt64) -> Bool {
        guard links[unit]?.link == link else { return false }
        links[unit] = nil
        return true
    }

    /// A command to one unit, numbered in the order sent.
    mutating func send(_ action: UnitAction, to unit: UnitID, epoch: UInt64) {
        guard let channel = links[unit]?.channel else { return }
        let id = nextCommandID
        nextCommandID += 1
        Self.write(.command(id: id, epoch: epoch, action: action), to: channel)
    }

    /// A message for one unit, after every command already sent to it.
    func answer(_ unit: UnitID, _ message: CSMMessage) {
        guard let channel = links[unit]?.channel else { return }
        Self.write(message, to: channel)
    }

    /// One message to every unit.
    func sendToAll(_ message: CSMMessage) {
        guard let frame = try? ControlCoder.frame(message) else { return }
        for (_, channel) in links.values { channel.writeAndFlush(frame, promise: nil) }
    }

    static func write(_ message: CSMMessage, to channel: any Channel) {
        guard let frame = try? ControlCoder.frame(message) else { return }
        channel.writeAndFlush(frame, promise: nil)
    }
}
