import Testing
import Wire

@testable import ClusterLogic

/// The placement rule alone, and the index ordering units by whatever rule it is given.
struct PlacementPolicyTests {
    @Test func viewersAndTrafficWeighAlikeAtOneViewerAMegabit() {
        let policy = LeastLoadedPlacement()
        #expect(policy.load(viewers: 0, bytesPerSecond: 0) == 0)
        #expect(policy.load(viewers: 3, bytesPerSecond: 125_000) == 4)
        #expect(policy.load(viewers: 10, bytesPerSecond: 0) > policy.load(viewers: 9, bytesPerSecond: 124_999))
    }

    /// A rule that counts traffic only.
    struct TrafficOnly: PlacementPolicy {
        func load(viewers: Int, bytesPerSecond: UInt64) -> Double { Double(bytesPerSecond) }
    }

    /// Three units; unit 1 carries 8 viewers and little traffic, unit 2 no viewer and 4 Mbit/s.
    static func state(placement: any PlacementPolicy) -> ClusterState {
        var state = ClusterState(
            settings: ClusterSettings(), signer: TicketSigner(secret: "s"), wallClock: { 1_000_000 }, placement: placement)
        for id in 1...3 {
            _ = state.announce(
                UnitAnnouncement(
                    address: UnitAddress(unit: UnitID(UInt16(id)), host: "10.0.0.\(id)", sessionPort: 7100, mediaPort: 7101),
                    adminPort: nil, groupsPerUnit: 4, groupCapacity: 10, epoch: 0),
                now: ClusterStateTests.start)
        }
        let busy = ClusterStateTests.start
        state.report(
            UnitReport(
                unit: 1, epoch: 0, sentAtMilliseconds: 1,
                groups: [GroupReport(group: 1, channel: 900, parent: nil, broadcasterHere: true, udpViewers: 8, tcpViewers: 0, bytesSent: 0)],
                load: UnitLoad(viewers: 8, bytesPerSecond: 10_000, freeGroups: 3), draining: false),
            now: busy)
        state.report(
            UnitReport(unit: 2, epoch: 0, sentAtMilliseconds: 1, groups: [], load: UnitLoad(viewers: 0, bytesPerSecond: 500_000, freeGroups: 4), draining: false),
            now: busy)
        _ = state.drainActions()
        return state
    }

    @Test func aChannelOpensOnTheUnitTheRuleFindsLeastLoaded() throws {
        var leastLoaded = Self.state(placement: LeastLoadedPlacement())
        let (_, root) = try leastLoaded.open(now: ClusterStateTests.start).get()
        #expect(root.unit == 3, "no viewers, no traffic")
        var byViewers = Self.state(placement: LeastLoadedPlacement())
        byViewers.units[3]?.draining = true
        let (_, next) = try byViewers.open(now: ClusterStateTests.start).get()
        #expect(next.unit == 2, "4 Mbit/s weigh less than 8 viewers")
        var byTraffic = Self.state(placement: TrafficOnly())
        byTraffic.units[3]?.draining = true
        let (_, traffic) = try byTraffic.open(now: ClusterStateTests.start).get()
        #expect(traffic.unit == 1, "by traffic alone, the unit with 8 viewers is the lighter")
        #expect(byTraffic.units.policy.choose(byTraffic.units.values.filter { $0.id != 3 }, at: ClusterStateTests.start)?.id == 1)
    }
}
