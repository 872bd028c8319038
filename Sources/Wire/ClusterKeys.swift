import Crypto

/// Every key of a cluster, derived from the one cluster key that only the CSMs and the admin's
/// machine hold (docs/SECURITY.md, per-node trust): the CSM pair's link key, which no unit ever
/// sees; each unit's own link key, which speaks for that unit alone; and the ticket key, whose
/// public half is all a unit gets.
public struct ClusterKeys: Sendable {
    private let root: [UInt8]
    public let tickets: TicketSigner

    public init(clusterKey: String) {
        root = Array(SHA256.hash(data: Array(clusterKey.utf8)))
        tickets = TicketSigner(secret: clusterKey)
    }

    /// The link between the two CSMs of a pair.
    public var peerLink: LinkKey { LinkKey(bytes: derive("avcluster csm pair link key v2")) }

    /// Unit `unit`'s link to the CSMs: proves that unit, and only it.
    public func unitLink(_ unit: UnitID) -> LinkKey { LinkKey(bytes: unitSecret(unit)) }

    /// What `avserver keygen --unit N` writes for unit N.
    public func credential(for unit: UnitID) -> UnitCredential {
        UnitCredential(unit: unit, linkSecret: unitSecret(unit), ticketKey: tickets.verifier.publicKey)
    }

    /// Which key proves a link's first hello: a CSM's the pair's, a unit's its own (its id is in
    /// its name, `LinkIdentity`); nil for anything else.
    public func linkKey(for peer: PeerKind, name: String) -> LinkKey? {
        switch peer {
        case .csm: peerLink
        case .unit: LinkIdentity.unit(named: name).map(unitLink)
        default: nil
        }
    }

    private func unitSecret(_ unit: UnitID) -> [UInt8] { derive("avcluster unit link key v2 \(unit.rawValue)") }

    private func derive(_ label: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(label.utf8), using: SymmetricKey(data: root)))
    }
}

/// How a unit names itself in its link's hello: the id its credential was made for.
public enum LinkIdentity {
    public static func name(of unit: UnitID) -> String { "unit \(unit.rawValue)" }

    /// The unit id in a hello's name, when it is one.
    public static func unit(named name: String) -> UnitID? {
        guard name.hasPrefix("unit "), let number = UInt16(name.dropFirst(5)), number > 0 else { return nil }
        return UnitID(number)
    }
}

/// All a unit holds (`--secret-file`): its id, its own link key, and the CSMs' public ticket key.
/// Written as one line, `avcu1.ID.LINKKEY.TICKETKEY` (base64url), so it goes in a file or an
/// environment variable like any secret.
public struct UnitCredential: Sendable, Equatable {
    public static let prefix = "avcu1"
    public let unit: UnitID
    let linkSecret: [UInt8]
    public let ticketKey: [UInt8]

    init(unit: UnitID, linkSecret: [UInt8], ticketKey: [UInt8]) {
        self.unit = unit
        self.linkSecret = linkSecret
        self.ticketKey = ticketKey
    }

    /// nil when `text` is not a credential.
    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix, let number = UInt16(parts[1]), number > 0,
            let link = Base64URL.decode(String(parts[2])), link.count == 32,
            let ticket = Base64URL.decode(String(parts[3])), TicketVerifier(publicKey: ticket) != nil
        else { return nil }
        self.init(unit: UnitID(number), linkSecret: link, ticketKey: ticket)
    }

    public var text: String { "\(Self.prefix).\(unit.rawValue).\(Base64URL.encode(linkSecret)).\(Base64URL.encode(ticketKey))" }
    public var link: LinkKey { LinkKey(bytes: linkSecret) }
    public var tickets: TicketVerifier { TicketVerifier(publicKey: ticketKey)! }

    public static func == (a: UnitCredential, b: UnitCredential) -> Bool { a.text == b.text }
}
