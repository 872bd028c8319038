/// How busy a unit is; the CSM's least-loaded choice uses it, and gives a unit that cannot keep
/// up no new work.
public struct UnitLoad: Codable, Equatable, Sendable {
    public var viewers: Int
    public var bytesPerSecond: UInt64
    public var freeGroups: Int
    /// How late the unit's event loop ran its timers since the last report, at most: a loop that
    /// cannot keep up runs them late, and its sends fall behind by as much.
    public var loopDelayMilliseconds: UInt64?
    /// TCP receivers that could not take what they were owed at the report (their connection full).
    public var blockedReceivers: Int?

    public init(viewers: Int, bytesPerSecond: UInt64, freeGroups: Int, loopDelayMilliseconds: UInt64? = nil, blockedReceivers: Int? = nil) {
        self.viewers = viewers
        self.bytesPerSecond = bytesPerSecond
        self.freeGroups = freeGroups
        self.loopDelayMilliseconds = loopDelayMilliseconds
        self.blockedReceivers = blockedReceivers
    }
}
