/// The first frame of every connection: who speaks, and which protocol version.
public struct Hello: Codable, Equatable, Sendable {
    /// Raised whenever a message changes incompatibly.
    public static let currentVersion = 1

    public var protocolVersion: Int
    public var peer: PeerKind
    /// A name for logs: a unit id, a CSM name, a client's program and version.
    public var name: String

    public init(peer: PeerKind, name: String, protocolVersion: Int = Hello.currentVersion) {
        self.protocolVersion = protocolVersion
        self.peer = peer
        self.name = name
    }

    /// Throws `versionMismatch` naming both versions when the peer speaks another version.
    public func checkVersion(ours: Int = Hello.currentVersion) throws {
        guard protocolVersion == ours else { throw WireError.versionMismatch(ours: ours, theirs: protocolVersion) }
    }
}
