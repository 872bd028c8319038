import Testing

@testable import Wire

@Suite struct StreamKeyTests {
    let signer = TicketSigner(secret: "cluster key")

    @Test func aKeyMadeByTheCSMsIsReadBackByAUnitWithThePublicKeyAlone() throws {
        let key = StreamKey(id: 42, title: "Tuesday night jam", record: true, issuedAtMilliseconds: 1_800_000_000_000)
        let text = signer.sign(key)
        #expect(text.hasPrefix("avk_") && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        let unit = signer.verifier
        #expect(try unit.verify(streamKey: text) == key)
    }

    @Test func forgedAlteredAndForeignKeysAreRefused() throws {
        let text = signer.sign(StreamKey(title: "mine", issuedAtMilliseconds: 1))
        #expect(throws: WireError.ticketSignatureInvalid) { try TicketSigner(secret: "another cluster").verifier.verify(streamKey: text) }
        var altered = Array(text)
        altered[10] = altered[10] == "A" ? "B" : "A"
        #expect(throws: (any Error).self) { try signer.verifier.verify(streamKey: String(altered)) }
        #expect(throws: (any Error).self) { try signer.verifier.verify(streamKey: "live") }
        #expect(throws: (any Error).self) { try signer.verifier.verify(streamKey: "avk_" + String(repeating: "A", count: 1000)) }
        // A ticket's signed text is no stream key, even with the prefix put on it.
        let ticket = signer.sign(Ticket(channel: 1, group: 1, role: .broadcaster, unit: 1, expiresAtMilliseconds: 10))
        #expect(throws: (any Error).self) { try signer.verifier.verify(streamKey: "avk_" + ticket) }
    }

    @Test func aLongTitleIsCutToTheTitleLimit() throws {
        let key = StreamKey(title: String(repeating: "é", count: 200), issuedAtMilliseconds: 0)
        #expect(key.title.utf8.count <= OpenChannelRequest.maxTitleLength)
        #expect(try signer.verifier.verify(streamKey: signer.sign(key)).title == key.title)
    }
}
