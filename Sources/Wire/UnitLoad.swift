/// How busy a unit is; the CSM's least-loaded choice uses it.
public struct UnitLoad: Codable, Equatable, Sendable {
    public var viewers: Int
    public var bytesPerSecond: UInt64
    public var freeGroups: Int

    public init(viewers: Int, bytesPerSecond: UInt64, freeGroups: Int) {
        self.viewers = viewers
        self.bytesPerSecond = bytesPerSecond
        self.freeGroups = freeGroups
    }
}
