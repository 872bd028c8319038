import Crypto

/// The key a control link proves it holds (docs/SECURITY.md): each unit's own, or the CSM pair's,
/// all derived from the cluster key apart from the ticket key (`ClusterKeys`).
public struct LinkKey: Sendable {
    /// Bytes of each side's nonce.
    public static let nonceSize = 32

    /// Kept as bytes: `SymmetricKey` is not `Sendable` in every swift-crypto release.
    private let keyBytes: [UInt8]

    public init(secret: String) {
        let root = SymmetricKey(data: SHA256.hash(data: Array(secret.utf8)))
        keyBytes = Array(HMAC<SHA256>.authenticationCode(for: Array("avcluster control link key v1".utf8), using: root))
    }

    /// A key derived elsewhere (`ClusterKeys`).
    public init(bytes: [UInt8]) {
        keyBytes = bytes
    }

    /// Which end of the link a proof speaks for: the one that connected or the one that accepted.
    public enum Side: String, Sendable { case initiator, responder }

    /// HMAC-SHA256 over the side, the link's role (what the initiator said it is) and both nonces:
    /// a fresh nonce from the other side in every proof, so a recorded handshake is worth nothing.
    public func proof(side: Side, role: PeerKind, initiatorNonce: [UInt8], responderNonce: [UInt8]) -> [UInt8] {
        var message = Array("\(side.rawValue)|\(role.rawValue)|".utf8)
        message += initiatorNonce
        message += Array("|".utf8)
        message += responderNonce
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: keyBytes)))
    }

    /// Checks a proof in constant time.
    public func verify(_ given: [UInt8], side: Side, role: PeerKind, initiatorNonce: [UInt8], responderNonce: [UInt8]) -> Bool {
        let expected = proof(side: side, role: role, initiatorNonce: initiatorNonce, responderNonce: responderNonce)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A fresh nonce from the system's random source.
    public static func freshNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
