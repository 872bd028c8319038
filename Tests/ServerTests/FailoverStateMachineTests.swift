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
        // Nothing during the start-up grace; then the primary is silent: a round. One unit of
        // three is not a majority, two are.
        #expect(machine.tick(now: start + .seconds(1), liveUnits: units).isEmpty)
        #expect(machine.tick(now: start + .milliseconds(2100), liveUnits: units) == [.askUnits(epoch: 1)])
        machine.unitAnswered(1, lostPrimary: true)
        #expect(machine.tick(now: start + .milliseconds(2200), liveUnits: units).isEmpty)
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

    @Test func aPrimaryCutOffFromTheUnitsIsReplacedEvenWhileTheBackupHearsIt() {
        var machine = backup()
        let heartbeat = Heartbeat(csm: "a", role: .primary, epoch: 1, sentAtMilliseconds: 0)
        var actions: [FailoverStateMachine.Action] = []
        for step in 1...40 {
            let now = start + .milliseconds(100 * step)
            _ = machine.peerHeartbeat(heartbeat, ownName: "b", now: now)  // the primary is alive
            for action in machine.tick(now: now, liveUnits: units) {
                actions.append(action)
                if case .askUnits = action { for unit in units { machine.unitAnswered(unit, lostPrimary: true) } }
            }
        }
        #expect(actions.contains(.promoted(epoch: 2)))
        #expect(machine.role == .primary)
        // While the primary is heard, the units are asked once per failure timeout, not every beat.
        var quiet = backup()
        var asks = 0
        for step in 1...50 {
            let now = start + .milliseconds(100 * step)
            _ = quiet.peerHeartbeat(heartbeat, ownName: "b", now: now)
            asks += quiet.tick(now: now, liveUnits: units).count
        }
        #expect((2...4).contains(asks))
    }

    @Test func withNoLiveUnitsOnlySilenceDecides() {
        var machine = backup()
        _ = machine.peerHeartbeat(Heartbeat(csm: "a", role: .primary, epoch: 1, sentAtMilliseconds: 0), ownName: "b", now: start + .seconds(1))
        _ = machine.tick(now: start + .milliseconds(1100), liveUnits: [])
        #expect(machine.tick(now: start + .milliseconds(1200), liveUnits: []).isEmpty)
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
