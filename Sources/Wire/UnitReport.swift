/// A unit's state at one heartbeat: every assigned group, and the unit's load.
public struct UnitReport: Codable, Equatable, Sendable {
    public var unit: UnitID
    public var epoch: UInt64
    public var sentAtMilliseconds: UInt64
    /// Assigned groups only; a group not listed is free.
    public var groups: [GroupReport]
    public var load: UnitLoad
    /// Set while the unit is draining: it takes no new work.
    public var draining: Bool

    public init(
        unit: UnitID, epoch: UInt64, sentAtMilliseconds: UInt64, groups: [GroupReport], load: UnitLoad, draining: Bool
    ) {
        self.unit = unit
        self.epoch = epoch
        self.sentAtMilliseconds = sentAtMilliseconds
        self.groups = groups
        self.load = load
        self.draining = draining
    }
}
