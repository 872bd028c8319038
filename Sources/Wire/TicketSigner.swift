import Crypto

/// Signs tickets for clients and verifies them at units. The CSM and every unit share the key.
/// A signed ticket is text (base64url), so it travels in JSON, URLs and command lines.
public struct TicketSigner: Sendable {
    static let macSize = 32
    /// Characters of a signed ticket: base64url of the body and the MAC, without padding.
    static let textLength = ((Ticket.bodySize + macSize) * 8 + 5) / 6

    /// Kept as bytes: `SymmetricKey` is not `Sendable` in every swift-crypto release.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: [UInt8]) {
        self.keyBytes = key
    }

    /// Derives the key from a shared secret phrase (configuration files hold a phrase, not bytes).
    public init(secret: String) {
        self.init(key: Array(SHA256.hash(data: Array(secret.utf8))))
    }

    /// The ticket as signed text.
    public func sign(_ ticket: Ticket) -> String {
        let body = ticket.body
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
        return Base64URL.encode(body + Array(mac))
    }

    /// A secret derived from `label` with the key: anyone holding the key can check it, nobody
    /// else can make it (a channel's close-and-resume secret is derived from its number).
    public func derivedSecret(_ label: String) -> String {
        String(Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array("secret:\(label)".utf8), using: key))).prefix(24))
    }

    /// Whether `text` is the secret of `label`, compared in constant time.
    public func checkDerivedSecret(_ text: String, _ label: String) -> Bool {
        let expected = Array(derivedSecret(label).utf8)
        let given = Array(text.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Checks the signature first (in constant time), then the unit and the expiry.
    /// Replays are the unit's to refuse: it remembers nonces until they expire.
    public func verify(_ text: String, at unit: UnitID, nowMilliseconds: UInt64) throws -> Ticket {
        guard text.utf8.count == Self.textLength else {
            throw WireError.malformedTicket("a ticket is \(Self.textLength) characters, got \(text.utf8.count)")
        }
        guard let bytes = Base64URL.decode(text), bytes.count == Ticket.bodySize + Self.macSize else {
            throw WireError.malformedTicket("not base64url text")
        }
        let body = bytes.prefix(Ticket.bodySize)
        guard HMAC<SHA256>.isValidAuthenticationCode(bytes.suffix(Self.macSize), authenticating: body, using: key) else {
            throw WireError.ticketSignatureInvalid
        }
        let ticket = try Ticket(body: body)
        guard ticket.unit == unit else { throw WireError.ticketForAnotherUnit(ticketUnit: ticket.unit, thisUnit: unit) }
        guard nowMilliseconds <= ticket.expiresAtMilliseconds else {
            throw WireError.ticketExpired(expiredAtMilliseconds: ticket.expiresAtMilliseconds, nowMilliseconds: nowMilliseconds)
        }
        return ticket
    }
}
