/// What a unit sends to every CSM it knows, on its control link.
public enum UnitMessage: Codable, Equatable, Sendable {
    case hello(Hello)
    /// First after hello, and again after every reconnect: who the unit is and what it holds.
    case announce(UnitAnnouncement)
    /// Every heartbeat interval: the unit's groups and load. The CSM's whole view can be
    /// rebuilt from these reports alone.
    case report(UnitReport)
    /// Something happened; the unit has logged it too.
    case event(UnitEvent)
    /// The outcome of a CSM command.
    case commandResult(id: UInt64, error: ControlError?)
    /// The answer to a CSM's lease request `id`: the unit's epoch after it, the lease granted in
    /// milliseconds (nil when refused) and, when another CSM holds it, which.
    case lease(id: UInt64, epoch: UInt64, grantedMilliseconds: UInt64?, holder: String?)
    /// A publisher (RTMP or SRT) came with this stream key, whose signature the unit checked:
    /// request `id` to open or resume its channel rooted here. `publisher` names its software.
    case publish(id: UInt64, streamKey: String, publisher: String)
}
