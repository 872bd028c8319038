import DataPlane
import NIOCore
import Testing
import Wire

@Suite struct SessionAdmissionTests {
    let signer = TicketSigner(secret: "cluster key")
    let limits: SessionAdmission.Limits = (unit: 3, groupCapacity: 2, sessionLimit: 10, channelTombstone: .seconds(60))
    let calm: SessionAdmission.Conditions = (draining: false, overload: nil, openSessions: 0)

    func admission() -> SessionAdmission {
        SessionAdmission(tickets: signer.verifier, limits: limits, unopened: UnopenedPool(total: 8, perNetwork: 4), now: .uptimeNanoseconds(0))
    }

    func ticket(
        _ role: TicketRole = .viewer, channel: ChannelID = 7, group: GroupID = 1, unit: UnitID = 3, expires: UInt64 = 30_000, nonce: UInt64
    ) -> String {
        signer.sign(Ticket(channel: channel, group: group, role: role, unit: unit, expiresAtMilliseconds: expires, nonce: nonce))
    }

    /// Group 1 serves channel 7 with one viewer; group 2 is free; there is no group 3.
    func place(_ group: GroupID) -> SessionAdmission.Place? {
        switch group {
        case 1: (channel: 7, viewers: 1)
        case 2: (channel: nil, viewers: 0)
        default: nil
        }
    }

    func code(_ result: Result<Ticket, ControlError>) -> ControlError.Code? {
        if case .failure(let error) = result { error.code } else { nil }
    }

    @Test func aTicketOpensOnceARelayTicketUntilItExpires() {
        var admission = admission()
        let viewer = ticket(nonce: 1)
        let first = admission.admit(viewer, nowMilliseconds: 1_000, conditions: calm, place: place)
        #expect((try? first.get())?.nonce == 1)
        let again = admission.admit(viewer, nowMilliseconds: 1_000, conditions: calm, place: place)
        #expect(code(again) == .replayedTicket)
        let relay = ticket(.relay, nonce: 2)
        for _ in 0..<3 {
            let reused = admission.admit(relay, nowMilliseconds: 1_000, conditions: calm, place: place)
            #expect((try? reused.get())?.role == .relay)
        }
        let late = admission.admit(relay, nowMilliseconds: 30_001, conditions: calm, place: place)
        #expect(code(late) == .expiredTicket)
    }

    @Test func forgedAndMisplacedTicketsAreRefused() {
        var admission = admission()
        let forged = TicketSigner(secret: "another key").sign(
            Ticket(channel: 7, group: 1, role: .viewer, unit: 3, expiresAtMilliseconds: 30_000, nonce: 1))
        let results = [
            admission.admit(forged, nowMilliseconds: 0, conditions: calm, place: place),
            admission.admit("not a ticket", nowMilliseconds: 0, conditions: calm, place: place),
            admission.admit(ticket(unit: 4, nonce: 2), nowMilliseconds: 0, conditions: calm, place: place),
            admission.admit(ticket(group: 3, nonce: 3), nowMilliseconds: 0, conditions: calm, place: place),
            admission.admit(ticket(channel: 8, group: 1, nonce: 4), nowMilliseconds: 0, conditions: calm, place: place),
        ]
        #expect(results.map(code) == [.badTicket, .badTicket, .wrongUnit, .unknownGroup, .notAllowed])
        // A refused ticket spends nothing: the same nonce opens once it is right.
        let right = admission.admit(ticket(nonce: 4), nowMilliseconds: 0, conditions: calm, place: place)
        #expect((try? right.get()) != nil)
    }

    @Test func roomDrainingAndOverloadDecideAfterTheTicket() {
        var admission = admission()
        let full = { (group: GroupID) -> SessionAdmission.Place? in (channel: 7, viewers: 2) }
        #expect(code(admission.admit(ticket(nonce: 1), nowMilliseconds: 0, conditions: calm, place: full)) == .noRoom)
        #expect((try? admission.admit(ticket(.broadcaster, nonce: 2), nowMilliseconds: 0, conditions: calm, place: full).get()) != nil,
            "a full group still takes its broadcaster")
        let draining: SessionAdmission.Conditions = (draining: true, overload: nil, openSessions: 0)
        #expect(code(admission.admit(ticket(group: 2, nonce: 3), nowMilliseconds: 0, conditions: draining, place: place)) == .notAllowed)
        #expect((try? admission.admit(ticket(group: 1, nonce: 4), nowMilliseconds: 0, conditions: draining, place: place).get()) != nil,
            "draining takes no new group, but a group in use goes on")
        let overloaded: SessionAdmission.Conditions = (draining: false, overload: "its timers run 300 ms late", openSessions: 0)
        let refused = admission.admit(ticket(nonce: 5), nowMilliseconds: 0, conditions: overloaded, place: place)
        #expect(code(refused) == .noRoom)
        if case .failure(let error) = refused { #expect(error.message.contains("300 ms late")) }
        #expect((try? admission.admit(ticket(.relay, nonce: 6), nowMilliseconds: 0, conditions: overloaded, place: place).get()) != nil)
        let atLimit: SessionAdmission.Conditions = (draining: false, overload: nil, openSessions: 11)
        #expect(code(admission.admit(ticket(.relay, nonce: 7), nowMilliseconds: 0, conditions: atLimit, place: place)) == .noRoom)
    }

    @Test func anEndedChannelTakesNoTicketAloneUntilItsTombstoneIsOver() {
        var admission = admission()
        admission.channelEnded(7, nowMilliseconds: 1_000)
        let free = { (group: GroupID) -> SessionAdmission.Place? in (channel: nil, viewers: 0) }
        #expect(code(admission.admit(ticket(nonce: 1), nowMilliseconds: 2_000, conditions: calm, place: free)) == .unknownChannel)
        #expect((try? admission.admit(ticket(nonce: 2), nowMilliseconds: 2_000, conditions: calm, place: place).get()) != nil,
            "a group still serving the channel takes it")
        admission.channelPlaced(7)
        #expect((try? admission.admit(ticket(nonce: 3), nowMilliseconds: 2_000, conditions: calm, place: free).get()) != nil)
        admission.channelEnded(7, nowMilliseconds: 2_000)
        #expect(code(admission.admit(ticket(expires: 90_000, nonce: 4), nowMilliseconds: 62_000, conditions: calm, place: free)) == .unknownChannel)
        admission.expire(nowMilliseconds: 62_001)
        #expect((try? admission.admit(ticket(expires: 90_000, nonce: 5), nowMilliseconds: 62_001, conditions: calm, place: free).get()) != nil,
            "its tombstone over: forgotten")
    }

    @Test func thePoolShedsTheOldestOfTheNetworkThenOfAll() {
        var pool = UnopenedPool(total: 4, perNetwork: 2)
        #expect(pool.admit(1, network: "a").isEmpty && pool.admit(2, network: "a").isEmpty)
        #expect(pool.admit(3, network: "a") == [1], "a network past its share sheds its own oldest")
        #expect(pool.admit(4, network: "b").isEmpty && pool.admit(5, network: "c").isEmpty)
        #expect(pool.admit(6, network: "d") == [2], "past the total: the oldest of all")
        pool.remove(3)
        #expect(pool.count == 3 && pool.admit(7, network: "a").isEmpty)
    }

    @Test func refusalsAreToldAsOneLineEachInterval() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var tally = RefusalTally(interval: .seconds(10), now: start)
        for _ in 0..<500 { tally.note("badTicket") }
        tally.note("noRoom")
        #expect(tally.summary(now: start + .seconds(5)) == nil)
        #expect(tally.summary(now: start + .seconds(10)) == "501 sessions refused in the last 10 s: 500 badTicket, 1 noRoom")
        #expect(tally.summary(now: start + .seconds(20)) == nil, "nothing new")
    }
}
