/// The first frame of every connection: who speaks, and which protocol version. On a control
/// link (unit to CSM, CSM to CSM) the hellos also carry the link handshake (`LinkHandshake`):
/// each side's fresh nonce, and each side's proof that it holds the cluster key.
public struct Hello: Codable, Equatable, Sendable {
    /// Raised whenever a message changes incompatibly.
    public static let currentVersion = 2

    public var protocolVersion: Int
    public var peer: PeerKind
    /// A name for logs: a unit id, a CSM name, a client's program and version.
    public var name: String
    /// A control link's fresh nonce (base64url of `LinkKey.nonceSize` bytes).
    public var nonce: String?
    /// A control link's proof of the cluster key (base64url HMAC-SHA256, `LinkKey.proof`).
    public var proof: String?

    public init(peer: PeerKind, name: String, protocolVersion: Int = Hello.currentVersion, nonce: String? = nil, proof: String? = nil) {
        self.protocolVersion = protocolVersion
        self.peer = peer
        self.name = name
        self.nonce = nonce
        self.proof = proof
    }

    /// Throws `versionMismatch` naming both versions when the peer speaks another version.
    public func checkVersion(ours: Int = Hello.currentVersion) throws {
        guard protocolVersion == ours else { throw WireError.versionMismatch(ours: ours, theirs: protocolVersion) }
    }
}
