import Foundation
import Testing
import Wire

@testable import ClusterLogic

/// A channel's tree across units has fan-out k: however many units it spans, a packet crosses at
/// most ⌈log_k(units used)⌉ relay links, and failures move subtrees up, never down a chain.
@Suite struct RelayTreeTests {
    /// `units` units of 2 groups x 3 places (as the issue measured), one channel joined until the
    /// cluster is full.
    static func filled(units: Int, fanOut: Int) throws -> (ClusterState, ChannelID) {
        var state = ClusterStateTests.state(units: (1...units).map { UInt16($0) }, groups: 2, capacity: 3)
        state.settings.relayFanOut = fanOut
        let (channel, _) = try state.open(now: ClusterStateTests.start).get()
        while case .success = state.join(channel, now: ClusterStateTests.start) {}
        return (state, channel)
    }

    static func bound(units: Int, fanOut: Int) -> Int { Int((log(Double(units)) / log(Double(fanOut))).rounded(.up) + 1e-9) }

    /// Every group's chain reaches the root, and no group feeds more than k groups on other units.
    static func checkShape(_ state: ClusterState, _ channel: ChannelID, fanOut: Int) {
        let groups = state.groups(of: channel)
        var crossUnitChildren: [GroupLocation: Int] = [:]
        for (location, record) in groups {
            #expect(state.relayHops(of: location) != nil, "\(location) is not connected to the root")
            if let parent = record.parent, parent.unit != location.unit { crossUnitChildren[parent, default: 0] += 1 }
        }
        #expect(crossUnitChildren.values.allSatisfy { $0 <= fanOut }, "\(crossUnitChildren.filter { $0.value > fanOut }): fan-out \(crossUnitChildren.values.max() ?? 0) above \(fanOut)")
        // The levels kept through placements, frees and failures say what a fresh look says.
        if let kept = state.treeLevels[channel] { expectAgree(kept, TreeLevels(state, groups), "\(channel)") }
    }

    static func expectAgree(_ kept: TreeLevels, _ fresh: TreeLevels, _ context: String) {
        let hops = Set(kept.hops.keys).union(fresh.hops.keys).filter { kept.hops[$0] != fresh.hops[$0] }
        #expect(hops.isEmpty, "\(context): the kept levels give \(hops.count) groups other hops than the tree, as \(hops.prefix(3).map { "\($0): \(kept.hops[$0].map(String.init) ?? "none") not \(fresh.hops[$0].map(String.init) ?? "none")" })")
        let fanOut = Set(kept.fanOut.keys).union(fresh.fanOut.keys).filter { kept.fanOut[$0, default: 0] != fresh.fanOut[$0, default: 0] }
        #expect(fanOut.isEmpty, "\(context): the kept levels give \(fanOut.count) groups another fan-out than the tree")
    }

    @Test(arguments: [(12, 8), (24, 8), (48, 8), (500, 8), (48, 2), (200, 3)])
    func theDeepestRelayChainStaysWithinLogKOfTheUnitsUsed(units: Int, fanOut: Int) throws {
        let (state, channel) = try Self.filled(units: units, fanOut: fanOut)
        let used = Set(state.groups(of: channel).map(\.location.unit)).count
        #expect(used == units, "the channel spans every unit")
        #expect(state.viewers(of: channel, at: ClusterStateTests.start) == units * 2 * 3)
        let deepest = state.deepestRelayChain(of: channel)
        #expect(deepest <= Self.bound(units: used, fanOut: fanOut), "\(deepest) hops across \(used) units at k = \(fanOut)")
        Self.checkShape(state, channel, fanOut: fanOut)
    }

    @Test func theIssuesClustersOf12To48UnitsAreAtMostTwoHopsDeep() throws {
        // Before fan-out, 12, 24 and 48 units gave chains of 5, 9 and 17 hops.
        for units in [12, 24, 48] {
            let (state, channel) = try Self.filled(units: units, fanOut: 8)
            #expect(state.deepestRelayChain(of: channel) <= 2, "\(units) units")
        }
        let (state, channel) = try Self.filled(units: 500, fanOut: 8)
        #expect(state.deepestRelayChain(of: channel) <= 3)
    }

    @Test func unitFailuresMoveSubtreesUpAndKeepTheBound() throws {
        var state = ClusterStateTests.state(units: (1...60).map { UInt16($0) }, groups: 3, capacity: 3)
        state.settings.relayFanOut = 3
        let t = ClusterStateTests.start
        let (channel, _) = try state.open(now: t).get()
        // Two thirds full: the survivors have room to re-create some of the failed units' groups.
        for _ in 0..<(60 * 3 * 3 * 2 / 3) { _ = try state.join(channel, now: t).get() }
        let deepestBefore = state.deepestRelayChain(of: channel)
        // Interior units first (those feeding others), then leaves; never the root's.
        let root = try #require(state.channels[channel]?.root)
        let feeding = Set(state.groups(of: channel).compactMap { $0.record.parent.map(\.unit) }).subtracting([root.unit]).sorted()
        for unit in feeding.prefix(10) + [UnitID(60), UnitID(59)] {
            let orphans = state.groups(of: channel).filter { $0.location.unit != unit && $0.record.parent?.unit == unit }.count
            state.fail(unit, now: t + .seconds(5), reason: "test")
            // Re-homed from the kept levels, which the failure left up to date.
            if orphans > 0 { #expect(state.treeLevels[channel] != nil, "after unit \(unit) failed") }
            let used = Set(state.groups(of: channel).map(\.location.unit)).count
            let deepest = state.deepestRelayChain(of: channel)
            #expect(deepest <= max(deepestBefore, Self.bound(units: used, fanOut: 3)), "after unit \(unit) failed: \(deepest) hops")
            Self.checkShape(state, channel, fanOut: 3)
        }
        #expect(state.channels[channel] != nil)
    }

    @Test func churnDrainsAndShrinksKeepTheBound() throws {
        var state = ClusterStateTests.state(units: (1...64).map { UInt16($0) }, groups: 3, capacity: 3)
        state.settings.relayFanOut = 4
        var now = ClusterStateTests.start
        let (channel, _) = try state.open(now: now).get()
        var random = PlacementIndexTests.Random(state: 16)
        for round in 0..<12 {
            for _ in 0..<60 { _ = state.join(channel, now: now) }
            // Viewers leave: reports say a third of the groups emptied; some units drain.
            for report in ClusterStateTests.reports(of: state, at: now) {
                var report = report
                report.groups = report.groups.map { group in
                    var group = group
                    if random.next(3) == 0 { group.udpViewers = 0 }
                    group.openedTickets = nil
                    return group
                }
                state.report(report, now: now)
            }
            if round % 3 == 1 { _ = state.drain(UnitID(UInt16(1 + random.next(64))), true) }
            now += .seconds(31)
            for report in ClusterStateTests.reports(of: state, at: now) { state.report(report, now: now) }
            for _ in 0..<40 { state.shrink(channel, now: now, force: false) }
            let used = Set(state.groups(of: channel).map(\.location.unit)).count
            #expect(state.deepestRelayChain(of: channel) <= Self.bound(units: max(used, 2), fanOut: 4), "round \(round)")
            Self.checkShape(state, channel, fanOut: 4)
        }
    }
}
