import Testing

@testable import Wire

@Suite struct LinkHandshakeTests {
    static let key = LinkKey(secret: "cluster key")

    /// Runs both sides against each other; returns what each side ended with.
    static func run(
        _ initiator: inout LinkHandshake, _ responder: inout LinkHandshake
    ) -> (initiator: [LinkHandshake.Action], responder: [LinkHandshake.Action]) {
        var toResponder = initiator.start()
        var initiatorSaw: [LinkHandshake.Action] = []
        var responderSaw: [LinkHandshake.Action] = []
        while case .send(let hello)? = toResponder.first {
            toResponder.removeFirst()
            let answer = responder.receive(hello)
            responderSaw += answer
            guard case .send(let reply)? = answer.first else { break }
            let back = initiator.receive(reply)
            initiatorSaw += back
            toResponder = back.filter { if case .send = $0 { true } else { false } }
        }
        return (initiatorSaw, responderSaw)
    }

    @Test func bothSidesWithTheKeyAuthenticateEachOther() {
        var unit = LinkHandshake.initiator(role: .unit, name: "unit 1", key: Self.key)
        var csm = LinkHandshake.responder(accepting: [.unit, .csm], name: "csm-a", key: Self.key)
        let (unitSaw, csmSaw) = Self.run(&unit, &csm)
        #expect(unit.isAuthenticated && csm.isAuthenticated)
        #expect(unitSaw.contains { if case .authenticated(let hello) = $0 { hello.peer == .csm } else { false } })
        #expect(csmSaw.contains { if case .authenticated(let hello) = $0 { hello.peer == .unit && hello.name == "unit 1" } else { false } })
    }

    @Test func aStrangerWithoutTheKeyIsRefusedByTheCSM() {
        var stranger = LinkHandshake.initiator(role: .csm, name: "evil", key: LinkKey(secret: "guess"))
        var csm = LinkHandshake.responder(accepting: [.unit, .csm], name: "csm-a", key: Self.key)
        let (strangerSaw, csmSaw) = Self.run(&stranger, &csm)
        // The stranger cannot check the CSM's proof either, so it stops first; the CSM never authenticates it.
        #expect(strangerSaw.contains { if case .fail = $0 { true } else { false } })
        #expect(!csm.isAuthenticated)
        #expect(!csmSaw.contains { if case .authenticated = $0 { true } else { false } })

        // A stranger that ignores the CSM's proof and sends a made-up one is refused with a reason.
        var csm2 = LinkHandshake.responder(accepting: [.csm], name: "csm-a", key: Self.key)
        _ = csm2.receive(Hello(peer: .csm, name: "evil", nonce: Base64URL.encode(LinkKey.freshNonce())))
        let refused = csm2.receive(Hello(peer: .csm, name: "evil", proof: Base64URL.encode([UInt8](repeating: 7, count: 32))))
        guard case .fail(let error)? = refused.first else { Issue.record("no refusal: \(refused)"); return }
        #expect(error.description.contains("proof of the cluster key is wrong"))
        #expect(!csm2.isAuthenticated)
    }

    @Test func aUnitRefusesACSMWithoutTheKey() {
        var unit = LinkHandshake.initiator(role: .unit, name: "unit 1", key: Self.key)
        var fake = LinkHandshake.responder(accepting: [.unit], name: "fake", key: LinkKey(secret: "other"))
        let (unitSaw, _) = Self.run(&unit, &fake)
        #expect(unitSaw.contains { if case .fail(let error) = $0 { error.description.contains("CSM's proof") } else { false } })
        #expect(!unit.isAuthenticated)
    }

    @Test func aRecordedHandshakeReplayedLaterFails() {
        // Record a whole valid exchange.
        var unit = LinkHandshake.initiator(role: .unit, name: "unit 1", key: Self.key)
        var csm = LinkHandshake.responder(accepting: [.unit], name: "csm-a", key: Self.key)
        let first = unit.start()
        guard case .send(let hello1)? = first.first, case .send(let challenge)? = csm.receive(hello1).first,
            case .send(let proof)? = unit.receive(challenge).first
        else { Issue.record("the exchange did not run"); return }
        #expect(csm.receive(proof).contains { if case .authenticated = $0 { true } else { false } })

        // Replay both recorded frames to a new connection: the CSM's nonce is new, the proof is not.
        var later = LinkHandshake.responder(accepting: [.unit], name: "csm-a", key: Self.key)
        _ = later.receive(hello1)
        let replayed = later.receive(proof)
        #expect(replayed.contains { if case .fail = $0 { true } else { false } })
        #expect(!later.isAuthenticated)
    }

    @Test func aResponderProofCannotBeReflectedAsAnInitiatorProof() {
        var csm = LinkHandshake.responder(accepting: [.csm], name: "csm-a", key: Self.key)
        let nonce = LinkKey.freshNonce()
        guard case .send(let challenge)? = csm.receive(Hello(peer: .csm, name: "evil", nonce: Base64URL.encode(nonce))).first else {
            Issue.record("no challenge"); return
        }
        // Echo the CSM's own proof back as ours.
        let echoed = csm.receive(Hello(peer: .csm, name: "evil", proof: challenge.proof))
        #expect(echoed.contains { if case .fail = $0 { true } else { false } })
    }

    @Test func onlyTheKindsAPortAcceptsMayOpenALink() {
        var csm = LinkHandshake.responder(accepting: [.unit, .csm], name: "csm-a", key: Self.key)
        let refused = csm.receive(Hello(peer: .viewer, name: "v", nonce: Base64URL.encode(LinkKey.freshNonce())))
        #expect(refused.contains { if case .fail(let error) = $0 { error.description.contains("viewer may not") } else { false } })
        var noNonce = LinkHandshake.responder(accepting: [.unit], name: "csm-a", key: Self.key)
        #expect(noNonce.receive(Hello(peer: .unit, name: "u")).contains { if case .fail = $0 { true } else { false } })
    }
}
