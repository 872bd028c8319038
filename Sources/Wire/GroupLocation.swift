/// A group anywhere in the cluster: unit and group number, written "unit-group" as in the paper.
public struct GroupLocation: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var unit: UnitID
    public var group: GroupID

    public init(unit: UnitID, group: GroupID) {
        self.unit = unit
        self.group = group
    }

    public var description: String { "\(unit)-\(group)" }
}
