import Client
import TestSupport
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitLagPolicyTests {
    /// A unit where lagging is quick to reach: a 40-packet threshold, small send buffers, and a
    /// feed long enough that nobody is overrun.
    static func laggingHarness(threads: Int = 1) async throws -> UnitHarness {
        try await UnitHarness(threads: threads) { configuration in
            configuration.lagThreshold = 40
            configuration.sessionSendBuffer = 16 << 10
            configuration.feedCapacity = 4096
        }
    }

    /// With two loops the sessions alternate between them: the slow reader lives on the loop
    /// that is not the unit's own, where its writes are handed over with each batch.
    @Test(arguments: [1, 2]) func aSlowTCPReaderGetsAudioOnlyThenVideoFromAKeyframe(threads: Int) async throws {
        let harness = try await Self.laggingHarness(threads: threads)
        let broadcaster = try await harness.connect(.broadcaster)
        let udpViewer = EventRecorder(try await harness.connect(.viewer, name: "udp"))
        // A receive buffer that holds the whole burst: on a busy machine this process may not
        // read for a while, and a viewer that reads is what this one stands for.
        let tcpClient = try await harness.connect(.viewer, udp: false, name: "tcp", receiveBufferSize: 4 << 20)
        tcpClient.send(.setMode(.tcp, reason: "test"))
        let tcpViewer = EventRecorder(tcpClient)
        let slowClient = try await harness.connect(.viewer, udp: false, name: "slow", receiveBufferSize: 8 << 10)
        slowClient.send(.setMode(.tcp, reason: "test"))
        let slow = EventRecorder(slowClient)
        #expect(await slow.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
        #expect(await tcpViewer.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })

        try await slowClient.setReading(false)
        var stream = TestStream(keyframeInterval: 10)
        var sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<300)
        try await slowClient.setReading(true)
        try await Task.sleep(for: .milliseconds(200))
        sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 300..<400)

        // The slow reader: video stops, audio goes on, video comes back at a keyframe. On a busy
        // machine it may resume after the last keyframe sent so far: keep streaming until video
        // has come back.
        func videoResumed(_ recorded: EventRecorder.Recorded) -> Bool {
            guard let resumed = recorded.timeline.firstIndex(where: { if case .message(.videoSkipped(false, _)) = $0 { true } else { false } }) else { return false }
            return recorded.timeline[resumed...].contains { if case .packet(let packet) = $0 { packet.isVideo } else { false } }
        }
        // Bounded by time, not steps: a starved test process sends 400 steps in less time than
        // the slow reader takes to catch up.
        var next = 400
        let streamingUntil = ContinuousClock.now + .seconds(10)
        while !videoResumed(slow.recorded), ContinuousClock.now < streamingUntil {
            sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: next..<(next + 40))
            next += 40
        }
        #expect(await slow.wait { videoResumed($0) && $0.packets.count > 0 && $0.packets.last!.packet.sequence == sent.last!.sequence })
        let timeline = slow.recorded.timeline
        let skipped = try #require(timeline.firstIndex { if case .message(.videoSkipped(true, _)) = $0 { true } else { false } })
        let resumed = try #require(timeline.firstIndex { if case .message(.videoSkipped(false, _)) = $0 { true } else { false } })
        #expect(skipped < resumed)
        let during = timeline[skipped..<resumed].compactMap { if case .packet(let packet) = $0 { packet } else { nil } }
        #expect(!during.isEmpty && during.allSatisfy { !$0.isVideo })
        let firstVideoAfter = try #require(timeline[resumed...].lazy.compactMap { if case .packet(let packet) = $0, packet.isVideo { packet } else { nil } }.first)
        #expect(firstVideoAfter.startsKeyframe)

        // Everyone else got everything, in order.
        #expect(await udpViewer.wait { $0.packets.count >= sent.count })
        #expect(difference(udpViewer.recorded.packets.map(\.packet), sent) == nil)
        #expect(await tcpViewer.wait { $0.packets.count >= sent.count })
        #expect(tcpViewer.recorded.messages.allSatisfy { if case .videoSkipped = $0 { false } else { true } })
        try await harness.shutdown()
    }
}

/// A relay link feeds a whole subtree: it lags longer than a viewer before losing video, and when
/// it does, the viewers below are told why their picture stops.
@Suite(.serialized) struct RelayLagTests {
    @Test func aLaggingRelayLinkKeepsItsVideoWhereAViewerWouldLoseIt() async throws {
        let harness = try await UnitLagPolicyTests.laggingHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        var lagging: [(client: SessionClient, recorder: EventRecorder)] = []
        for role in [TicketRole.relay, .viewer] {
            let client = try await harness.connect(role, udp: false, name: "\(role)", receiveBufferSize: 8 << 10)
            client.send(.setMode(.tcp, reason: "test"))
            let recorder = EventRecorder(client)
            #expect(await recorder.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
            try await client.setReading(false)
            lagging.append((client, recorder))
        }
        var stream = TestStream(keyframeInterval: 10)
        var sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<200)
        for (client, _) in lagging { try await client.setReading(true) }
        sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 200..<240)
        let (relay, viewer) = (lagging[0].recorder, lagging[1].recorder)
        #expect(await relay.wait { $0.packets.count >= sent.count })
        #expect(difference(relay.recorded.packets.map(\.packet), sent) == nil)
        #expect(relay.recorded.messages.allSatisfy { if case .videoSkipped = $0 { false } else { true } })
        #expect(await viewer.wait { $0.messages.contains { if case .videoSkipped(true, _) = $0 { true } else { false } } })
        try await harness.shutdown()
    }

    @Test func viewersBelowARelayLinkCutToAudioAreToldWhy() async throws {
        let harness = try await UnitHarness()
        let viewer = EventRecorder(try await harness.connect(.viewer))
        try await harness.unit.inspect { unit in
            if let channel = unit.channels[7] { unit.upstreamVideoSkipped(true, reason: "relay link from unit 3: 900 packets behind live", in: channel) }
        }
        #expect(await viewer.wait { $0.messages.contains(.videoSkipped(true, reason: "relay link from unit 3: 900 packets behind live")) })
        try await harness.shutdown()
    }
}
