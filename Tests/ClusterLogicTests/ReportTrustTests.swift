import Testing
import Wire

@testable import ClusterLogic

/// Attack 5 of the second round, the report: a unit that lies about holding a group of someone
/// else's channel must not draw that channel's viewers.
@Suite struct ReportTrustTests {
    static let start = ContinuousClock.now

    static func lie(unit: UnitID, group: GroupID, channel: ChannelID, parent: GroupLocation?) -> UnitReport {
        UnitReport(
            unit: unit, epoch: 1, sentAtMilliseconds: 1,
            groups: [GroupReport(group: group, channel: channel, parent: parent, broadcasterHere: parent == nil, udpViewers: 0, tcpViewers: 0, bytesSent: 0)],
            load: UnitLoad(viewers: 0, bytesPerSecond: 0, freeGroups: 49), draining: false)
    }

    @Test func aGroupTheCSMNeverPlacedDrawsNoJoinOnceItHasAViewOfItsOwn() throws {
        var state = ClusterStateTests.state(units: [1, 3])
        state.settings.failureTimeout = .seconds(3600)
        let (channel, root) = try state.open(now: Self.start).get()
        #expect(root.unit == 1 || root.unit == 3)
        let liar: UnitID = root.unit == 1 ? 3 : 1
        state.hasOwnView = true
        _ = state.drainActions()
        state.report(Self.lie(unit: liar, group: 5, channel: channel, parent: root), now: Self.start)
        #expect(state.group(at: GroupLocation(unit: liar, group: 5)) == nil)
        #expect(state.drainActions().contains { if case .command(liar, .freeGroup(5)) = $0 { true } else { false } })
        var places: [GroupLocation] = []
        for _ in 0..<10 { places.append(try state.join(channel, now: Self.start).get()) }
        print("joins drawn to a group a unit claimed but was never given: \(places.count { $0 == GroupLocation(unit: liar, group: 5) }) of 10")
        #expect(!places.contains(GroupLocation(unit: liar, group: 5)))
    }

    @Test func whileLearningAReportMayNotMakeASecondRoot() throws {
        var state = ClusterStateTests.state(units: [1, 3])
        let (channel, root) = try state.open(now: Self.start).get()
        let liar: UnitID = root.unit == 1 ? 3 : 1
        #expect(!state.hasOwnView)
        state.report(Self.lie(unit: liar, group: 7, channel: channel, parent: nil), now: Self.start)
        #expect(state.group(at: GroupLocation(unit: liar, group: 7)) == nil && state.channels[channel]?.root == root)
        // A unit's own new channel is still learnt (after a restart the CSM knows none).
        state.hasOwnView = true
        state.report(Self.lie(unit: liar, group: 8, channel: 4242, parent: nil), now: Self.start)
        #expect(state.channels[4242]?.root == GroupLocation(unit: liar, group: 8))
    }
}
