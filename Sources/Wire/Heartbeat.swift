/// A CSM's periodic "I am alive" to its peer.
public struct Heartbeat: Codable, Equatable, Sendable {
    /// A CSM's role at the time it sends.
    public enum Role: String, Codable, Sendable { case primary, backup }

    public var csm: String
    public var role: Role
    public var epoch: UInt64
    public var sentAtMilliseconds: UInt64

    public init(csm: String, role: Role, epoch: UInt64, sentAtMilliseconds: UInt64) {
        self.csm = csm
        self.role = role
        self.epoch = epoch
        self.sentAtMilliseconds = sentAtMilliseconds
    }
}
