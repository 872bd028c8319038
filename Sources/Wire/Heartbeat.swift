/// A CSM's periodic "I am alive" to its peer. A primary's also carries what the backup needs
/// to take over exactly where it stands: the registered units a majority is counted over and the
/// next channel number, and the stream keys revoked.
public struct Heartbeat: Codable, Equatable, Sendable {
    /// A CSM's role at the time it sends.
    public enum Role: String, Codable, Sendable { case primary, backup }

    public var csm: String
    public var role: Role
    public var epoch: UInt64
    public var sentAtMilliseconds: UInt64
    public var units: [UnitID]?
    public var nextChannel: UInt32?
    public var revokedStreamKeys: [UInt64]?

    /// The most stream keys a cluster keeps revoked (each heartbeat carries them all).
    public static let maxRevokedStreamKeys = 1000

    public init(
        csm: String, role: Role, epoch: UInt64, sentAtMilliseconds: UInt64, units: [UnitID]? = nil, nextChannel: UInt32? = nil,
        revokedStreamKeys: [UInt64]? = nil
    ) {
        self.csm = csm
        self.role = role
        self.epoch = epoch
        self.sentAtMilliseconds = sentAtMilliseconds
        self.units = units
        self.nextChannel = nextChannel
        self.revokedStreamKeys = revokedStreamKeys
    }
}
