import Client
import TestSupport
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitRelayTests {
    /// Links `group` on unit `child` to `parentGroup` on unit `parent` (indices into the harness).
    static func link(_ harness: UnitHarness, child: Int, group: GroupID, parent: Int, parentGroup: GroupID) async throws {
        let parentAddress = harness.units[parent].address
        let ticket = harness.ticket(group: parentGroup, role: .relay, unit: parentAddress.unit)
        let error = try await harness.units[child].inspect { unit in
            unit.execute(.openRelayLink(group: group, channel: 7, parent: parentAddress, parentGroup: parentGroup, ticket: ticket))
        }
        #expect(error == nil)
    }

    static func linkIsUp(_ harness: UnitHarness, _ index: Int) async throws -> Bool {
        try await harness.units[index].inspect { $0.channels[7]?.parentLink?.isUp ?? false }
    }

    @Test func mediaAndChatCrossAThreeUnitRelayChain() async throws {
        // Paper fig. 4: the root group on one unit feeds a group on a second, which feeds a third.
        let harness = try await UnitHarness(units: 3)
        let broadcasterClient = try await harness.connect(.broadcaster, group: 2, on: 0, name: "host")
        let broadcaster = EventRecorder(broadcasterClient)
        try await Self.link(harness, child: 1, group: 20, parent: 0, parentGroup: 2)
        try await Self.link(harness, child: 2, group: 5, parent: 1, parentGroup: 20)
        let viewerClients = [
            try await harness.connect(.viewer, group: 2, on: 0, name: "ann"),
            try await harness.connect(.viewer, group: 20, on: 1, name: "bob"),
            try await harness.connect(.viewer, group: 5, on: 2, name: "cy"),
        ]
        let viewers = viewerClients.map { EventRecorder($0) }
        for index in 1...2 {
            let deadline = ContinuousClock.now + .seconds(5)
            while try await !Self.linkIsUp(harness, index), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await Self.linkIsUp(harness, index))
        }

        var stream = TestStream()
        let sent = try await UnitFanOutTests.broadcast(broadcasterClient, stream: &stream, steps: 0..<60)
        for viewer in viewers {
            #expect(await viewer.wait { $0.packets.count >= sent.count })
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        }

        // A line typed on the third unit, with an escape sequence in it, reaches everyone, cleaned.
        viewerClients[2].send(.chat(ChatLine(from: "ignored", text: "hi \u{1B}[2Jall", sentAtMilliseconds: 0)))
        for recorder in viewers + [broadcaster] {
            #expect(await recorder.wait { $0.messages.contains { if case .chat(let line) = $0 { line.text == "hi [2Jall" && line.from == "cy" } else { false } } })
        }
        // And the broadcaster's reply reaches the end of the chain once.
        broadcasterClient.send(.chat(ChatLine(from: "host", text: "welcome", sentAtMilliseconds: 0)))
        #expect(await viewers[2].wait { $0.messages.contains { if case .chat(let line) = $0 { line.text == "welcome" } else { false } } })
        try await Task.sleep(for: .milliseconds(100))
        #expect(viewers[2].recorded.messages.count { if case .chat(let line) = $0 { line.text == "welcome" } else { false } } == 1)
        try await harness.shutdown()
    }

    @Test func aBrokenRelayLinkIsReestablished() async throws {
        let harness = try await UnitHarness(units: 2)
        let broadcaster = try await harness.connect(.broadcaster, group: 2, on: 0)
        try await Self.link(harness, child: 1, group: 20, parent: 0, parentGroup: 2)
        let viewer = EventRecorder(try await harness.connect(.viewer, group: 20, on: 1))
        var stream = TestStream()
        var sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<10)
        #expect(await viewer.wait { $0.packets.count >= sent.count })

        // Cut the relay session at the parent; the child reconnects by itself.
        try await harness.units[0].inspect { unit in
            for session in unit.sessions.values where session.role == .relay { session.connection.close(promise: nil) }
        }
        try await Task.sleep(for: .milliseconds(1500))
        let deadline = ContinuousClock.now + .seconds(5)
        while try await !Self.linkIsUp(harness, 1), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let before = viewer.recorded.packets.count
        sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 10..<20)
        #expect(await viewer.wait { $0.packets.count > before + 10 })
        try await harness.shutdown()
    }

    @Test func chatIsRateLimitedPerSession() async throws {
        let harness = try await UnitHarness { $0.chatBurst = 3 }
        let client = try await harness.connect(.viewer, udp: false)
        let viewer = EventRecorder(client)
        for index in 0..<5 { client.send(.chat(ChatLine(from: "", text: "line \(index)", sentAtMilliseconds: 0))) }
        #expect(await viewer.wait { $0.messages.contains { if case .error(let error) = $0 { error.code == .rateLimited } else { false } } })
        #expect(viewer.recorded.messages.count { if case .chat = $0 { true } else { false } } == 3)
        try await harness.shutdown()
    }
}
