/// The mutual challenge-response that opens every control link (docs/SECURITY.md). Pure: hellos in,
/// actions out; the channel handler that drives it does the I/O and the timeout.
///
///     initiator -> responder   hello(role, nonce Ni)
///     responder -> initiator   hello(csm, nonce Nr, proof HMAC(K, responder|role|Ni|Nr))
///     initiator -> responder   hello(role, proof HMAC(K, initiator|role|Ni|Nr))
///
/// Each side proves the key over a nonce the other side just made, so neither a recorded exchange
/// nor a reflected proof opens a link. Until both proofs check, nothing the peer says counts.
public struct LinkHandshake: Sendable {
    public enum Action: Equatable, Sendable {
        /// Send this hello to the peer.
        case send(Hello)
        /// The peer proved the key; its first hello says who it is.
        case authenticated(Hello)
        /// The link must be closed: tell the peer why, log it.
        case fail(WireError)
    }

    private enum State: Sendable {
        case initiatorStart, awaitingResponderProof, responderAwaitingHello, awaitingInitiatorProof(Hello, initiatorNonce: [UInt8])
        case done, failed
    }

    /// Which key a peer must prove, given its first hello (its kind and name).
    public typealias Keyring = @Sendable (PeerKind, String) -> LinkKey?

    /// The key proved on both sides: fixed for an initiator, chosen by the first hello for a responder.
    private var key: LinkKey?
    private let keyring: Keyring?
    private let name: String
    private let ownNonce: [UInt8]
    /// The initiator's kind (what the link is for); a responder learns it from the first hello.
    private var role: PeerKind
    private let accepted: Set<PeerKind>
    private var state: State
    private var responderHello: Hello?

    /// The side that connects, as `role` (a unit, or a CSM dialling its peer).
    public static func initiator(role: PeerKind, name: String, key: LinkKey, nonce: [UInt8] = LinkKey.freshNonce()) -> LinkHandshake {
        LinkHandshake(key: key, name: name, nonce: nonce, role: role, accepted: [.csm], state: .initiatorStart)
    }

    /// The side that accepts (a CSM), letting in only the kinds in `accepting`.
    public static func responder(accepting: Set<PeerKind>, name: String, key: LinkKey, nonce: [UInt8] = LinkKey.freshNonce()) -> LinkHandshake {
        LinkHandshake(key: key, name: name, nonce: nonce, role: .csm, accepted: accepting, state: .responderAwaitingHello)
    }

    /// A responder that takes from each peer the key of who it says it is (a CSM's unit port:
    /// each unit's own key, the pair's for the peer CSM).
    public static func responder(accepting: Set<PeerKind>, name: String, keyring: @escaping Keyring, nonce: [UInt8] = LinkKey.freshNonce()) -> LinkHandshake {
        LinkHandshake(key: nil, keyring: keyring, name: name, nonce: nonce, role: .csm, accepted: accepting, state: .responderAwaitingHello)
    }

    private init(key: LinkKey?, keyring: Keyring? = nil, name: String, nonce: [UInt8], role: PeerKind, accepted: Set<PeerKind>, state: State) {
        self.key = key
        self.keyring = keyring
        self.name = name
        ownNonce = nonce
        self.role = role
        self.accepted = accepted
        self.state = state
    }

    public var isAuthenticated: Bool { if case .done = state { true } else { false } }

    /// The initiator's first hello; nothing for a responder.
    public mutating func start() -> [Action] {
        guard case .initiatorStart = state else { return [] }
        state = .awaitingResponderProof
        return [.send(Hello(peer: role, name: name, nonce: Base64URL.encode(ownNonce)))]
    }

    /// A hello from the peer.
    public mutating func receive(_ hello: Hello) -> [Action] {
        switch state {
        case .responderAwaitingHello:
            guard accepted.contains(hello.peer) else {
                return fail("a \(hello.peer.rawValue) may not open a link on this port")
            }
            guard let nonce = hello.nonce.flatMap(Base64URL.decode), nonce.count == LinkKey.nonceSize else {
                return fail("the first hello carries no \(LinkKey.nonceSize)-byte nonce")
            }
            guard let key = key ?? keyring?(hello.peer, hello.name) else {
                return fail("no \(hello.peer.rawValue) named '\(hello.name.prefix(64))' belongs to this cluster")
            }
            self.key = key
            role = hello.peer
            state = .awaitingInitiatorProof(hello, initiatorNonce: nonce)
            let proof = key.proof(side: .responder, role: role, initiatorNonce: nonce, responderNonce: ownNonce)
            return [.send(Hello(peer: .csm, name: name, nonce: Base64URL.encode(ownNonce), proof: Base64URL.encode(proof)))]
        case .awaitingInitiatorProof(let first, let initiatorNonce):
            guard hello.peer == role, let key, let proof = hello.proof.flatMap(Base64URL.decode),
                key.verify(proof, side: .initiator, role: role, initiatorNonce: initiatorNonce, responderNonce: ownNonce)
            else { return fail("the \(role.rawValue)'s proof of the cluster key is wrong") }
            state = .done
            return [.authenticated(first)]
        case .awaitingResponderProof:
            guard accepted.contains(hello.peer), let key, let nonce = hello.nonce.flatMap(Base64URL.decode), nonce.count == LinkKey.nonceSize,
                let proof = hello.proof.flatMap(Base64URL.decode),
                key.verify(proof, side: .responder, role: role, initiatorNonce: ownNonce, responderNonce: nonce)
            else { return fail("the CSM's proof of the cluster key is wrong") }
            state = .done
            let answer = key.proof(side: .initiator, role: role, initiatorNonce: ownNonce, responderNonce: nonce)
            return [.send(Hello(peer: role, name: name, proof: Base64URL.encode(answer))), .authenticated(hello)]
        case .initiatorStart, .done, .failed:
            return fail("a hello came out of turn")
        }
    }

    private mutating func fail(_ why: String) -> [Action] {
        state = .failed
        return [.fail(.linkNotAuthenticated("\(why); CSMs need the cluster key, each unit its own credential (avserver keygen --unit ID)"))]
    }
}
