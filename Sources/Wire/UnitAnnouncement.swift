/// A unit introducing itself to a CSM.
public struct UnitAnnouncement: Codable, Equatable, Sendable {
    public var address: UnitAddress
    /// Where the unit serves /metrics and its health check.
    public var adminPort: Int?
    public var groupsPerUnit: Int
    public var groupCapacity: Int
    /// The highest CSM epoch the unit has seen; a CSM below it must not command the unit.
    public var epoch: UInt64

    public init(address: UnitAddress, adminPort: Int?, groupsPerUnit: Int, groupCapacity: Int, epoch: UInt64) {
        self.address = address
        self.adminPort = adminPort
        self.groupsPerUnit = groupsPerUnit
        self.groupCapacity = groupCapacity
        self.epoch = epoch
    }
}
