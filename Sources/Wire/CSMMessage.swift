/// What a CSM sends to a unit on its control link. Every command carries the CSM's epoch; a unit
/// refuses commands from an epoch below the highest it has seen.
public enum CSMMessage: Codable, Equatable, Sendable {
    case hello(Hello)
    case command(id: UInt64, epoch: UInt64, action: UnitAction)
    case error(ControlError)
    /// Every heartbeat interval: the CSM is alive, at this epoch, in this role. Units use it to
    /// tell whether they lost a CSM, and raise their epoch from a primary's.
    case heartbeat(epoch: UInt64, primary: Bool)
    /// Every heartbeat interval from a primary, or a CSM that would become one: "obey me at
    /// `epoch` for `milliseconds`" (answered by `UnitMessage.lease`; docs/HA.md).
    case leaseRequest(id: UInt64, epoch: UInt64, milliseconds: UInt64)
    /// The answer to the unit's `publish` request `id`: the channel and its root group here
    /// (assigned by a command sent just before), or why not.
    case publishPlaced(id: UInt64, channel: ChannelID, group: GroupID)
    case publishRefused(id: UInt64, error: ControlError)
}
