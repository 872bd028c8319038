import Crypto

/// Signs tickets at the CSMs (Ed25519); units only verify them (`TicketVerifier`), with a public
/// key that signs nothing, so a unit that falls cannot mint a ticket for any other. A signed
/// ticket is text (base64url), so it travels in JSON, URLs and command lines. The same key, held
/// by the CSMs alone, derives the channels' close-and-resume secrets.
public struct TicketSigner: Sendable {
    // Immutable after init; swift-crypto does not mark its keys Sendable.
    nonisolated(unsafe) private let signing: Curve25519.Signing.PrivateKey
    /// Kept as bytes: `SymmetricKey` is not `Sendable` in every swift-crypto release.
    private let secretKey: [UInt8]
    public let verifier: TicketVerifier

    /// Derives both keys from the cluster key (configuration files hold a phrase, not bytes).
    public init(secret: String) {
        let root = SymmetricKey(data: SHA256.hash(data: Array(secret.utf8)))
        let seed = Array(HMAC<SHA256>.authenticationCode(for: Array("avcluster ticket signing key v2".utf8), using: root))
        secretKey = Array(SHA256.hash(data: Array(secret.utf8)))
        signing = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)  // 32 bytes: always a key
        verifier = TicketVerifier(publicKey: Array(signing.publicKey.rawRepresentation))!
    }

    /// The ticket as signed text.
    public func sign(_ ticket: Ticket) -> String {
        let body = ticket.body
        return Base64URL.encode(body + signature(for: body))
    }

    /// An Ed25519 signature of `message` with the CSMs' key.
    func signature(for message: [UInt8]) -> [UInt8] {
        Array(try! signing.signature(for: message))  // signing over bytes in memory does not fail
    }

    /// Checks a ticket as a unit would.
    public func verify(_ text: String, at unit: UnitID, nowMilliseconds: UInt64) throws -> Ticket {
        try verifier.verify(text, at: unit, nowMilliseconds: nowMilliseconds)
    }

    /// A secret derived from `label` with the key: anyone holding the key can check it, nobody
    /// else can make it (a channel's close-and-resume secret is derived from its number).
    public func derivedSecret(_ label: String) -> String {
        let key = SymmetricKey(data: secretKey)
        return String(Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array("secret:\(label)".utf8), using: key))).prefix(24))
    }

    /// Whether `text` is the secret of `label`, compared in constant time.
    public func checkDerivedSecret(_ text: String, _ label: String) -> Bool {
        let expected = Array(derivedSecret(label).utf8)
        let given = Array(text.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// What a unit checks tickets with: the CSMs' public ticket key.
public struct TicketVerifier: Sendable, Equatable {
    static let signatureSize = 64
    /// Characters of a signed ticket: base64url of the body and the signature, without padding.
    static let textLength = ((Ticket.bodySize + signatureSize) * 8 + 5) / 6

    public let publicKey: [UInt8]

    /// nil when `publicKey` is not an Ed25519 public key.
    public init?(publicKey: [UInt8]) {
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil else { return nil }
        self.publicKey = publicKey
    }

    /// Checks the signature first, then the unit and the expiry. Replays are the unit's to
    /// refuse: it remembers nonces until they expire.
    public func verify(_ text: String, at unit: UnitID, nowMilliseconds: UInt64) throws -> Ticket {
        guard text.utf8.count == Self.textLength else {
            throw WireError.malformedTicket("a ticket is \(Self.textLength) characters, got \(text.utf8.count)")
        }
        guard let bytes = Base64URL.decode(text), bytes.count == Ticket.bodySize + Self.signatureSize else {
            throw WireError.malformedTicket("not base64url text")
        }
        let body = bytes.prefix(Ticket.bodySize)
        guard isValidSignature(Array(bytes.suffix(Self.signatureSize)), for: Array(body)) else { throw WireError.ticketSignatureInvalid }
        let ticket = try Ticket(body: body)
        guard ticket.unit == unit else { throw WireError.ticketForAnotherUnit(ticketUnit: ticket.unit, thisUnit: unit) }
        guard nowMilliseconds <= ticket.expiresAtMilliseconds else {
            throw WireError.ticketExpired(expiredAtMilliseconds: ticket.expiresAtMilliseconds, nowMilliseconds: nowMilliseconds)
        }
        return ticket
    }

    /// Whether `signature` is the CSMs' over `message`.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
