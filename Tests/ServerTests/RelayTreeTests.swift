import Foundation
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

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
            state.fail(unit, now: t + .seconds(5), reason: "test")
            let used = Set(state.groups(of: channel).map(\.location.unit)).count
            let deepest = state.deepestRelayChain(of: channel)
            #expect(deepest <= max(deepestBefore, Self.bound(units: used, fanOut: 3)), "after unit \(unit) failed: \(deepest) hops")
            Self.checkShape(state, channel, fanOut: 3)
        }
        #expect(state.channels[channel] != nil)
    }
}
