/// Something that happened in a unit, for the CSM's log (paper 2.1.2).
public struct UnitEvent: Codable, Equatable, Sendable {
    /// The kinds of event a unit reports.
    public enum Kind: String, Codable, Sendable {
        case sessionOpened, sessionClosed, sessionRefused, modeSwitched
        case groupAssigned, groupFreed, relayUp, relayDown, keyframeRequested, drainChanged
        case staleCommandRefused, leaseGranted, sessionResumed
        /// An RTMP or SRT publisher went live on its channel here, or left it.
        case publisherLive, publisherLeft
        case error

        /// What clients cause (strangers among them) rather than the unit's own work: the CSM
        /// budgets the two apart, so a flood of the first cannot push out the second.
        public var isCausedByClients: Bool {
            switch self {
            case .sessionOpened, .sessionClosed, .sessionRefused, .modeSwitched, .sessionResumed, .keyframeRequested, .publisherLive, .publisherLeft: true
            default: false
            }
        }
    }

    public var unit: UnitID
    public var timeMilliseconds: UInt64
    public var kind: Kind
    public var channel: ChannelID?
    public var group: GroupID?
    public var session: SessionID?
    public var details: String

    public init(
        unit: UnitID, timeMilliseconds: UInt64, kind: Kind, channel: ChannelID? = nil, group: GroupID? = nil,
        session: SessionID? = nil, details: String
    ) {
        self.unit = unit
        self.timeMilliseconds = timeMilliseconds
        self.kind = kind
        self.channel = channel
        self.group = group
        self.session = session
        self.details = details
    }
}
