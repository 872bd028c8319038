import Testing
import Wire

@testable import ClusterLogic

/// Two CSMs' failover machines and three units' leases on a simulated network: every beat each
/// CSM ticks, its lease requests reach the units it can reach, the answers come straight back, and
/// the CSMs hear each other's heartbeats where their link is up. No sockets, no sleeps.
struct FailoverSimulation {
    static let lease: Duration = .seconds(1)
    static let beat: Duration = .milliseconds(250)
    var now = ContinuousClock.now
    var csms: [String: FailoverStateMachine] = [:]
    var units: [UnitID: UnitLease] = [:]
    /// Cut links: CSM to unit, and "a-b" between the CSMs.
    var cut: Set<String> = []
    var members: Set<UnitID> { Set(units.keys) }

    init(units count: Int = 3) {
        for id in 1...count { units[UnitID(UInt16(id))] = UnitLease(longest: Self.lease, startGuard: .zero, now: now) }
    }

    mutating func start(_ name: String, preferred: Bool, epoch: UInt64 = 0) {
        csms[name] = FailoverStateMachine(
            name: name, highestEpoch: epoch, members: epoch > 0 ? members : [], preferred: preferred, alone: false, leaseDuration: Self.lease, heartbeatInterval: Self.beat, now: now)
    }

    /// csm-a (preferred) and csm-b, run until csm-a is primary.
    static func pairWithAPrimary() -> FailoverSimulation {
        var net = FailoverSimulation()
        net.start("csm-a", preferred: true)
        net.start("csm-b", preferred: false)
        net.run(for: .seconds(3))
        return net
    }

    mutating func crash(_ name: String) -> UInt64 {
        csms.removeValue(forKey: name)?.highestEpoch ?? 0
    }

    /// Runs for `duration`, one beat at a time.
    mutating func run(for duration: Duration) {
        let end = now + duration
        while now < end {
            now += Self.beat
            for name in csms.keys.sorted() { beat(name) }
        }
    }

    private mutating func beat(_ name: String) {
        guard var machine = csms[name] else { return }
        _ = machine.adopt(members: members)
        for action in machine.tick(now: now) {
            guard case .requestLeases(let id, let epoch, let duration) = action else { continue }
            for unit in units.keys.sorted() where !cut.contains("\(name)-\(unit)") {
                let answer = units[unit]!.request(from: name, epoch: epoch, for: duration, now: now)
                let granted = try? answer.get()
                _ = machine.leaseAnswered(by: unit, id: id, unitEpoch: units[unit]!.epoch, granted: granted, now: now)
            }
        }
        let heartbeat = Heartbeat(csm: name, role: machine.role == .primary ? .primary : .backup, epoch: machine.epoch, sentAtMilliseconds: 0)
        csms[name] = machine
        for other in csms.keys where other != name && !cut.contains("a-b") {
            _ = csms[other]!.peerHeartbeat(heartbeat, now: now)
        }
    }

    /// The CSMs that may serve now.
    var serving: [String] { csms.keys.sorted().filter { csms[$0]!.mayServe(now: now) } }

    /// Whom each unit obeys.
    var owners: [String?] { units.keys.sorted().map { units[$0]!.owner } }
}

@Suite struct FailoverStateMachineTests {
    @Test func thePreferredCSMBecomesPrimaryAndTheOtherStaysBackup() {
        let net = FailoverSimulation.pairWithAPrimary()
        #expect(net.serving == ["csm-a"])
        #expect(net.owners == ["csm-a", "csm-a", "csm-a"])
        #expect(net.csms["csm-a"]!.epoch == 1)
    }

    @Test func aKilledPrimaryIsReplacedWithinALeaseAndABeatOrTwo() {
        var net = FailoverSimulation.pairWithAPrimary()
        _ = net.crash("csm-a")
        var waited: Duration = .zero
        while net.serving.isEmpty, waited < .seconds(5) {
            net.run(for: FailoverSimulation.beat)
            waited += FailoverSimulation.beat
        }
        #expect(net.serving == ["csm-b"])
        #expect(waited <= FailoverSimulation.lease + FailoverSimulation.beat * 3)
        #expect(net.csms["csm-b"]!.epoch == 2)
    }

    @Test func aPrimaryRestartedAtOnceAsTheBackupLeavesExactlyOnePrimary() {
        // The scenario of issue 14: a then b killed and restarted with their own flags.
        for durable in [true, false] {
            var net = FailoverSimulation()
            net.start("csm-a", preferred: true)
            net.start("csm-b", preferred: false)
            net.run(for: .seconds(3))
            let epochA = net.crash("csm-a")
            net.run(for: .seconds(3))
            net.start("csm-a", preferred: true, epoch: durable ? epochA : 0)
            net.run(for: .seconds(3))
            #expect(net.serving == ["csm-b"])
            let epochB = net.crash("csm-b")
            net.start("csm-b", preferred: false, epoch: durable ? epochB : 0)
            net.run(for: .seconds(2))
            let primary = net.serving
            #expect(primary.count == 1, "durable: \(durable)")
            for _ in 0..<20 {
                net.run(for: FailoverSimulation.beat)
                #expect(net.serving == primary, "durable: \(durable)")
            }
            #expect(primary.allSatisfy { net.csms[$0]!.epoch > epochB })
        }
    }

    @Test func bothStartedAsBackupsTheLowerNameTakesOver() {
        var net = FailoverSimulation()
        net.start("csm-b", preferred: false)
        net.start("csm-a", preferred: false)
        net.run(for: .seconds(2))
        #expect(net.serving == ["csm-a"])
    }

    @Test func onlyTheLinkBetweenTheCSMsCutChangesNothing() {
        var net = FailoverSimulation.pairWithAPrimary()
        net.cut = ["a-b"]
        for _ in 0..<40 {
            net.run(for: FailoverSimulation.beat)
            #expect(net.serving == ["csm-a"])
        }
        #expect(net.csms["csm-a"]!.epoch == 1)
    }

    @Test func aPrimaryCutOffFromTheUnitsStepsDownAndTheBackupTakesOver() {
        var net = FailoverSimulation.pairWithAPrimary()
        net.cut = ["csm-a-1", "csm-a-2", "csm-a-3"]
        var steps = 0
        while net.serving.contains("csm-a") {
            net.run(for: FailoverSimulation.beat)
            steps += 1
            #expect(net.serving.count <= 1)
        }
        #expect(FailoverSimulation.beat * steps <= FailoverSimulation.lease + FailoverSimulation.beat)
        for _ in 0..<40 {
            net.run(for: FailoverSimulation.beat)
            #expect(net.serving.count <= 1)
        }
        #expect(net.serving == ["csm-b"])
    }

    @Test func aMinorityOfUnitsNeverMakesAPrimary() {
        var net = FailoverSimulation.pairWithAPrimary()
        // a reaches only unit 1, b only units 2 and 3: b, with the majority, must end up primary.
        net.cut = ["csm-a-2", "csm-a-3", "csm-b-1", "a-b"]
        for _ in 0..<40 {
            net.run(for: FailoverSimulation.beat)
            #expect(net.serving.count <= 1)
        }
        #expect(net.serving == ["csm-b"])
        // Each alone with one unit of three: nobody.
        net.cut = ["csm-a-2", "csm-a-3", "csm-b-1", "csm-b-2", "a-b"]
        net.run(for: .seconds(3))
        #expect(net.serving.isEmpty)
    }

    @Test func aLeaseIsCountedFromTheRequestSoThePrimaryGivesUpFirst() {
        var machine = FailoverStateMachine(
            name: "a", highestEpoch: 0, preferred: true, alone: false, leaseDuration: .seconds(1), heartbeatInterval: .milliseconds(250),
            now: .now)
        // The unit registered a lease time ago: the set of units is settled.
        _ = machine.registered(1)
        _ = machine.tick(now: .now)
        let start = ContinuousClock.now + .seconds(1)
        let actions = machine.tick(now: start)
        guard case .requestLeases(let id, 1, _)? = actions.last else { Issue.record("no request: \(actions)"); return }
        // The answer comes 400 ms later; the lease still ends 1 s after the request went out.
        let answered = machine.leaseAnswered(by: 1, id: id, unitEpoch: 1, granted: .seconds(1), now: start + .milliseconds(400))
        #expect(answered == [.remember(epoch: 1), .promoted(epoch: 1)])
        #expect(machine.mayServe(now: start + .milliseconds(999)))
        #expect(!machine.mayServe(now: start + .seconds(1)))
        #expect(machine.tick(now: start + .seconds(1)).first == .demoted(epoch: 1, reason: "it holds the lease of fewer than a majority of the 1 units"))
    }

    @Test func aCampaignOutbidByAUnitsEpochStartsAgainAboveIt() {
        // Another CSM was granted epoch 3 and died; this one, knowing only epoch 0, must not ask at 1 forever.
        let start = ContinuousClock.now
        var machine = FailoverStateMachine(
            name: "a", highestEpoch: 0, members: [1], preferred: true, alone: false, leaseDuration: .seconds(1),
            heartbeatInterval: .milliseconds(250), now: start)
        guard case .requestLeases(let id, 1, _)? = machine.tick(now: start).last else { Issue.record("no request"); return }
        #expect(machine.leaseAnswered(by: 1, id: id, unitEpoch: 3, granted: nil, now: start) == [.remember(epoch: 3)])
        guard case .requestLeases(let again, 4, _)? = machine.tick(now: start + .milliseconds(250)).last else {
            Issue.record("did not ask above the unit's epoch"); return
        }
        #expect(machine.leaseAnswered(by: 1, id: again, unitEpoch: 4, granted: .seconds(1), now: start + .milliseconds(250))
            == [.remember(epoch: 4), .promoted(epoch: 4)])
    }

    @Test func aUnitGrantsOneLeaseAtATimeAndEachEpochToOneCSM() {
        let start = ContinuousClock.now
        var lease = UnitLease(longest: .seconds(1), now: start)
        #expect(lease.request(from: "a", epoch: 1, for: .seconds(1), now: start) == .failure(.starting))
        let later = start + .seconds(1)
        #expect(lease.request(from: "a", epoch: 1, for: .seconds(5), now: later) == .success(.seconds(1)))
        #expect(lease.request(from: "b", epoch: 2, for: .seconds(1), now: later + .milliseconds(500)) == .failure(.heldBy("a", epoch: 1)))
        #expect(lease.request(from: "b", epoch: 1, for: .seconds(1), now: later + .seconds(3)) == .failure(.heldBy("a", epoch: 1)))
        #expect(lease.request(from: "b", epoch: 2, for: .seconds(1), now: later + .seconds(3)) == .success(.seconds(1)))
        #expect(lease.request(from: "a", epoch: 1, for: .seconds(1), now: later + .seconds(5)) == .failure(.staleEpoch(2)))
        #expect(lease.obeys("b", epoch: 2) && !lease.obeys("a", epoch: 1) && !lease.obeys("a", epoch: 2))
    }
}

@Suite struct UnusableEpochTests {
    static let start = ContinuousClock.now

    @Test func anEpochAboveTheUsableRangeIsNeverKeptNorStepsThePrimaryDown() {
        let top = WireLimits.usableEpochs.upperBound + 1
        var machine = FailoverStateMachine(
            name: "a", highestEpoch: 5, preferred: true, alone: true, leaseDuration: .seconds(1), heartbeatInterval: .milliseconds(250), now: Self.start)
        let actions = machine.peerHeartbeat(Heartbeat(csm: "0", role: .primary, epoch: top, sentAtMilliseconds: 1), now: Self.start)
        #expect(machine.highestEpoch == 5 && !actions.contains { if case .remember = $0 { true } else { false } })
        let restarted = FailoverStateMachine(
            name: "a", highestEpoch: 1 << 53, preferred: true, alone: true, leaseDuration: .seconds(1), heartbeatInterval: .milliseconds(250), now: Self.start)
        #expect(restarted.highestEpoch == 0, "a state file holding an unusable epoch is learnt again from the units")
        var lease = UnitLease(longest: .seconds(1), startGuard: .zero, now: Self.start)
        #expect(lease.request(from: "a", epoch: top, for: .seconds(1), now: Self.start) == .failure(.unusableEpoch(top)))
        #expect(lease.epoch == 0)
    }
}
