import Testing
import Wire

@testable import ClusterLogic

/// How long the CSM keeps a channel nobody broadcasts on, and remembers one that closed
/// (docs/SECURITY.md, second round: attacks 1 and 9).
@Suite struct ChannelLifetimeTests {
    static let start = ContinuousClock.now

    static func state() -> ClusterState {
        var state = ClusterStateTests.state(units: [1])
        state.settings.failureTimeout = .seconds(3600)  // no unit fails in these tests
        return state
    }

    static func report(_ root: GroupLocation, channel: ChannelID, broadcaster: Bool, info: ChannelInfo?) -> UnitReport {
        UnitReport(
            unit: root.unit, epoch: 1, sentAtMilliseconds: 1,
            groups: [GroupReport(group: root.group, channel: channel, parent: nil, broadcasterHere: broadcaster, udpViewers: 0, tcpViewers: 0, bytesSent: 0, info: info)],
            load: UnitLoad(viewers: 0, bytesPerSecond: 0, freeGroups: 49), draining: false)
    }

    @Test func anOpenWhoseBroadcasterNeverCameEndsSoonerThanOneWhoseBroadcasterLeft() throws {
        var state = Self.state()
        let (unused, _) = try state.open(now: Self.start).get()
        let (left, root) = try state.open(now: Self.start).get()
        let info = state.channels[left]!.info
        state.report(Self.report(root, channel: left, broadcaster: true, info: info), now: Self.start + .seconds(1))
        state.tick(now: Self.start + .seconds(1))
        state.report(Self.report(root, channel: left, broadcaster: false, info: info), now: Self.start + .seconds(2))
        state.tick(now: Self.start + .seconds(2))
        state.tick(now: Self.start + .seconds(14))
        #expect(state.channels[unused] != nil, "within 15 s")
        state.tick(now: Self.start + .seconds(16))
        #expect(state.channels[unused] == nil, "its broadcaster never came: closed after 15 s")
        #expect(state.channels[left] != nil, "its broadcaster may come back within 60 s")
        state.tick(now: Self.start + .seconds(63))
        #expect(state.channels[left] == nil)
    }

    @Test func aClientNetworkHoldsAtMostItsLiveChannelsAndTheAdminIsNotCapped() throws {
        var state = Self.state()
        state.settings.liveChannelsPerClient = 2
        #expect(throws: Never.self) { _ = try state.open(client: "203.0.113.1", now: Self.start).get() }
        let (second, _) = try state.open(client: "203.0.113.1", now: Self.start).get()
        guard case .failure(let error) = state.open(client: "203.0.113.1", now: Self.start) else { Issue.record("a third channel opened"); return }
        #expect(error.code == .rateLimited && error.message.contains("2 live channels"))
        #expect(throws: Never.self) { _ = try state.open(client: "203.0.113.2", now: Self.start).get() }
        #expect(throws: Never.self) { _ = try state.open(now: Self.start).get() }
        _ = state.close(second, now: Self.start)
        #expect(throws: Never.self) { _ = try state.open(client: "203.0.113.1", now: Self.start).get() }
    }

    @Test func aClosedChannelIsRememberedPastTheLifeOfAnyTicket() throws {
        var state = Self.state()
        let (channel, root) = try state.open(now: Self.start).get()
        let info = state.channels[channel]!.info
        _ = state.close(channel, now: Self.start)
        // A unit that let in a viewer with a ticket taken while the channel was live reports the
        // group again just before the ticket runs out: the channel stays closed.
        let late = Self.start + state.settings.ticketLifetime - .seconds(1)
        state.tick(now: late)
        _ = state.drainActions()
        state.report(Self.report(root, channel: channel, broadcaster: false, info: info), now: late)
        #expect(state.channels[channel] == nil)
        #expect(state.drainActions().contains { if case .command(_, .freeGroup(root.group)) = $0 { true } else { false } })
    }
}
