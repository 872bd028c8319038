import Testing
import Wire

@testable import Server

@Suite struct FailoverStateMachineTests {
    let start = ContinuousClock.now
    let units: Set<UnitID> = [1, 2, 3]

    func backup() -> FailoverStateMachine {
        FailoverStateMachine(role: .backup, epoch: 1, failureTimeout: .seconds(2), now: start)
    }

    @Test func takesOverWhenThePrimaryIsSilentAndAMajorityOfUnitsAgree() {
        var machine = backup()
        #expect(machine.tick(now: start + .seconds(1), liveUnits: units).isEmpty)
        #expect(machine.tick(now: start + .milliseconds(2100), liveUnits: units) == [.askUnits(epoch: 1)])
        machine.unitAnswered(1, lostPrimary: true)
        #expect(machine.tick(now: start + .milliseconds(2200), liveUnits: units).isEmpty)  // one of three
        machine.unitAnswered(2, lostPrimary: true)
        #expect(machine.tick(now: start + .milliseconds(2300), liveUnits: units) == [.promoted(epoch: 2)])
        #expect(machine.role == .primary && machine.epoch == 2)
    }

    @Test func aCutLinkBetweenTheCSMsAloneNeverMakesTwoPrimaries() {
        var machine = backup()
        var asked = 0
        for step in 21...100 {
            for action in machine.tick(now: start + .milliseconds(100 * step), liveUnits: units) {
                if case .askUnits = action {
                    asked += 1
                    for unit in units { machine.unitAnswered(unit, lostPrimary: false) }  // they still hear it
                }
            }
        }
        #expect(machine.role == .backup && machine.epoch == 1)
        #expect(asked > 1)  // and it keeps asking
    }

    @Test func aHeartbeatDuringARoundCancelsIt() {
        var machine = backup()
        _ = machine.tick(now: start + .seconds(3), liveUnits: units)
        machine.unitAnswered(1, lostPrimary: true)
        _ = machine.peerHeartbeat(Heartbeat(csm: "a", role: .primary, epoch: 1, sentAtMilliseconds: 0), ownName: "b", now: start + .seconds(3))
        machine.unitAnswered(2, lostPrimary: true)
        #expect(machine.tick(now: start + .milliseconds(3100), liveUnits: units).isEmpty)
        #expect(machine.role == .backup)
    }

    @Test func aReturningOldPrimaryBecomesTheBackup() {
        var old = FailoverStateMachine(role: .primary, epoch: 1, failureTimeout: .seconds(2), now: start)
        let actions = old.peerHeartbeat(Heartbeat(csm: "b", role: .primary, epoch: 2, sentAtMilliseconds: 0), ownName: "a", now: start)
        #expect(actions == [.demoted(epoch: 2, reason: "the peer b is primary at epoch 2")])
        #expect(old.role == .backup && old.epoch == 2)
        // A backup's heartbeat changes nothing; a unit that saw a higher epoch demotes a primary.
        var primary = FailoverStateMachine(role: .primary, epoch: 3, failureTimeout: .seconds(2), now: start)
        #expect(primary.peerHeartbeat(Heartbeat(csm: "b", role: .backup, epoch: 3, sentAtMilliseconds: 0), ownName: "a", now: start).isEmpty)
        #expect(primary.unitSaw(epoch: 4).count == 1 && primary.role == .backup)
    }

    @Test func withNoLiveUnitsTheBackupTakesOverAlone() {
        var machine = backup()
        #expect(machine.tick(now: start + .seconds(3), liveUnits: []) == [.askUnits(epoch: 1)])
        #expect(machine.tick(now: start + .milliseconds(3100), liveUnits: []) == [.promoted(epoch: 2)])
    }
}
