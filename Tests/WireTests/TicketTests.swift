import Testing

@testable import Wire

@Suite struct TicketTests {
    let signer = TicketSigner(secret: "cluster secret")
    let ticket = Ticket(channel: 7, group: 2, role: .viewer, unit: 5, expiresAtMilliseconds: 10_000, nonce: 99)

    @Test func signsAndVerifies() throws {
        let text = signer.sign(ticket)
        #expect(text.utf8.count == TicketVerifier.textLength)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try signer.verify(text, at: 5, nowMilliseconds: 9_999) == ticket)
    }

    @Test func refusesAnotherUnitAndExpiry() {
        let text = signer.sign(ticket)
        #expect(throws: WireError.ticketForAnotherUnit(ticketUnit: 5, thisUnit: 6)) {
            try signer.verify(text, at: 6, nowMilliseconds: 0)
        }
        #expect(throws: WireError.ticketExpired(expiredAtMilliseconds: 10_000, nowMilliseconds: 10_001)) {
            try signer.verify(text, at: 5, nowMilliseconds: 10_001)
        }
    }

    @Test func refusesForgedAlteredAndGarbledTickets() {
        let text = signer.sign(ticket)
        #expect(throws: WireError.ticketSignatureInvalid) {
            try TicketSigner(secret: "other").verify(text, at: 5, nowMilliseconds: 0)
        }
        // Flip one character of the signed body.
        var altered = Array(text)
        altered[3] = altered[3] == "A" ? "B" : "A"
        #expect(throws: WireError.ticketSignatureInvalid) { try signer.verify(String(altered), at: 5, nowMilliseconds: 0) }
        #expect(throws: WireError.self) { try signer.verify("", at: 5, nowMilliseconds: 0) }
        #expect(throws: WireError.self) { try signer.verify(String(repeating: "*", count: TicketVerifier.textLength), at: 5, nowMilliseconds: 0) }
        #expect(throws: WireError.self) { try signer.verify(text + "AA", at: 5, nowMilliseconds: 0) }
    }

    @Test func derivedSecretsNeedTheKey() {
        let secret = signer.derivedSecret("channel 7")
        #expect(signer.checkDerivedSecret(secret, "channel 7"))
        #expect(!signer.checkDerivedSecret(secret, "channel 8"))
        #expect(!TicketSigner(secret: "other").checkDerivedSecret(secret, "channel 7"))
        #expect(!signer.checkDerivedSecret("", "channel 7"))
    }

    @Test func eachRoleSurvivesTheRoundTrip() throws {
        for role in TicketRole.allCases {
            var ticket = ticket
            ticket.role = role
            #expect(try signer.verify(signer.sign(ticket), at: 5, nowMilliseconds: 0).role == role)
        }
    }
}
