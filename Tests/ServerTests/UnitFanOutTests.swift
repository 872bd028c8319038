import Client
import Glibc
import NIOCore
import TestSupport
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitFanOutTests {
    /// Sends `steps` 20 ms steps of the test stream, a little paced so loopback buffers keep up.
    static func broadcast(_ broadcaster: SessionClient, stream: inout TestStream, steps: Range<Int>, via mode: MediaMode = .udp) async throws -> [ReceivedPacket] {
        var sent: [ReceivedPacket] = []
        for step in steps {
            let packets = stream.next(step: step)
            sent += packets.compactMap(ReceivedPacket.init)
            broadcaster.sendMedia(packets, via: mode)
            if step % 4 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        return sent
    }

    @Test func everyUDPViewerGetsEveryPacketInOrder() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        var viewers: [EventRecorder] = []
        for index in 0..<5 {
            viewers.append(EventRecorder(try await harness.connect(.viewer, name: "viewer \(index)")))
        }
        var stream = TestStream()
        let sent = try await Self.broadcast(broadcaster, stream: &stream, steps: 0..<200)
        for viewer in viewers {
            #expect(await viewer.wait { $0.packets.count >= sent.count })
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
            #expect(viewer.recorded.packets.allSatisfy { $0.via == .udp })
        }
        let counters = try await harness.unit.inspect { $0.counters }
        #expect(counters.udpPacketsOut >= UInt64(sent.count * 5), "\(counters)")
        try await harness.shutdown()
    }

    /// A real-time stream (an audio packet every 20 ms, a three-packet video frame every 40 ms) to
    /// TCP viewers: each gets every packet once, in order, with chat in between, in about one
    /// write per 20 ms batch rather than one per packet.
    /// `audioOffset`: 0 sends each step's audio packet just before its video frame; 1 sends it
    /// a millisecond after, so that each frame's write waits for that packet.
    @Test(arguments: [0, 1])
    func tcpViewersGetEveryPacketInOrderInOneWriteABatch(audioOffset: Int) async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        var viewers: [EventRecorder] = []
        for index in 0..<4 {
            let client = try await harness.connect(.viewer, udp: false, name: "tcp \(index)")
            client.send(.setMode(.tcp, reason: "test"))
            let viewer = EventRecorder(client)
            #expect(await viewer.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
            viewers.append(viewer)
        }
        let before = try await harness.unit.inspect { $0.counters }
        var stream = TestStream()
        var sent: [ReceivedPacket] = []
        let start = ContinuousClock.now
        for step in 0..<100 {
            let packets = try await stream.send(step: step, from: start, audioOffset: .milliseconds(audioOffset)) { broadcaster.sendMedia($0, via: .udp) }
            sent += packets.compactMap(ReceivedPacket.init)
            if step == 50 { broadcaster.send(.chat(ChatLine(from: "host", text: "half way", sentAtMilliseconds: 0))) }
            try await Task.sleep(until: start + .milliseconds(20 * (step + 1)), clock: .continuous)
        }
        for viewer in viewers {
            #expect(await viewer.wait { $0.packets.count >= sent.count })
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
            #expect(viewer.recorded.messages.contains { if case .chat(let line) = $0 { line.text == "half way" } else { false } })
        }
        let after = try await harness.unit.inspect { $0.counters }
        let writes = after.tcpWrites - before.tcpWrites
        let packets = after.tcpPacketsOut - before.tcpPacketsOut
        print("\(packets) packets to 4 TCP viewers in \(writes) writes")
        #expect(packets == UInt64(sent.count * 4))
        // 250 packets in 2 s: about 100 batches of 20 ms each viewer, never one write a packet.
        #expect(writes * 2 < packets, "\(writes) writes for \(packets) packets")
        // One a frame (50 each) in either phase, give or take a sender running late.
        #expect(writes <= 4 * 60, "\(writes) writes for 50 frames to 4 viewers")
        try await harness.shutdown()
    }

    @Test func aLateJoinersFirstVideoPacketIsAKeyframe() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        var stream = TestStream(keyframeInterval: 25)
        _ = try await Self.broadcast(broadcaster, stream: &stream, steps: 0..<70)  // mid-GOP now
        for mode in [MediaMode.udp, .tcp] {
            let client = try await harness.connect(.viewer, udp: mode == .udp)
            if mode == .tcp { client.send(.setMode(.tcp, reason: "test")) }
            let late = EventRecorder(client)
            // Fast start: the picture arrives before the broadcaster sends anything more.
            #expect(await late.wait { $0.packets.contains { $0.packet.isVideo } })
            let firstVideo = try #require(late.recorded.packets.first { $0.packet.isVideo })
            #expect(firstVideo.packet.startsKeyframe)
            #expect(firstVideo.via == mode)
        }
        try await harness.shutdown()
    }

    @Test func aViewerSwitchingToTCPMidStreamMissesNothingStillBuffered() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        let client = try await harness.connect(.viewer)
        let viewer = EventRecorder(client)
        var stream = TestStream(keyframeInterval: 20)
        var sent = try await Self.broadcast(broadcaster, stream: &stream, steps: 0..<50)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        client.send(.setMode(.tcp, reason: "test switch"))
        #expect(await viewer.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test switch")) })
        sent += try await Self.broadcast(broadcaster, stream: &stream, steps: 50..<100)
        #expect(await viewer.wait { Set($0.packets.map(\.packet)).isSuperset(of: sent) })
        #expect(Set(sent).subtracting(viewer.recorded.packets.map(\.packet)).count == 0)
        #expect(viewer.recorded.packets.contains { $0.via == .tcp })
        // And back to UDP.
        client.send(.setMode(.udp, reason: "path is clean"))
        #expect(await viewer.wait { $0.messages.contains(.modeChanged(.udp, reason: "path is clean")) })
        let before = viewer.recorded.packets.count
        sent += try await Self.broadcast(broadcaster, stream: &stream, steps: 100..<110)
        #expect(await viewer.wait { $0.packets.count > before && $0.packets.last?.via == .udp })
        try await harness.shutdown()
    }

    @Test func aBroadcasterCanSendOverItsTCPSession() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster, udp: false)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        var stream = TestStream()
        let sent = try await Self.broadcast(broadcaster, stream: &stream, steps: 0..<40, via: .tcp)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        try await harness.shutdown()
    }

    /// A unit on three loops (`--threads 3`): the kernel spreads binds and media over the media
    /// port's three sockets, the unit's state sees them all, and each viewer's packets leave
    /// from the loop that owns it: every viewer gets every packet once, in order, and one that
    /// switches to TCP and back, or one that leaves, changes nothing for the others.
    @Test func viewersOnEveryLoopGetEveryPacket() async throws {
        let harness = try await UnitHarness(threads: 3)
        let broadcaster = try await harness.connect(.broadcaster)
        var clients: [SessionClient] = []
        var viewers: [EventRecorder] = []
        for index in 0..<9 {
            let client = try await harness.connect(.viewer, name: "viewer \(index)")
            clients.append(client)
            viewers.append(EventRecorder(client))
        }
        // Four TCP viewers: the session port hands connections to the three loops in turn.
        var tcpViewers: [EventRecorder] = []
        for index in 0..<4 {
            let client = try await harness.connect(.viewer, group: 2, udp: false, name: "tcp \(index)")
            client.send(.setMode(.tcp, reason: "test"))
            let viewer = EventRecorder(client)
            #expect(await viewer.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
            tcpViewers.append(viewer)
        }
        let placement = try await harness.unit.inspect { unit in
            guard let fanOut = unit.channels[7]?.fanOut else { return (udp: Set<Int>(), tcp: Set<Int>()) }
            return (
                udp: Set((fanOut.udpFlowing + fanOut.udpAwaitingKeyframe).map { fanOut.shard(of: $0.session) }),
                tcp: Set(fanOut.tcp.compactMap { unit.sessions[$0]?.loop }))
        }
        #expect(placement.udp == [0, 1, 2] && placement.tcp == [0, 1, 2], "\(placement)")
        // Strangers from 30 ports, spread over the three sockets: RTP from nobody, a bind request (type 1)
        // of a session that does not exist, bytes that are neither. Each is dropped and counted
        // wherever it landed.
        let before = try await harness.unit.inspect { $0.counters }
        let garbage: [[UInt8]] = [[0x80, 96] + [UInt8](repeating: 7, count: 40), [1] + [UInt8](repeating: 0xFF, count: 40), [0x00, 0x01, 0x02]]
        for index in 0..<30 {
            let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: harness.unit.address.mediaPort)
            let bytes = garbage[index % 3]
            _ = target.withSockAddr { address, length in bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, socklen_t(length)) } }
            Glibc.close(fd)
        }
        #expect(
            try await eventually {
                let now = try await harness.unit.inspect { $0.counters }
                return now.droppedUnboundMedia + now.droppedBadBinds + now.droppedMalformed
                    - before.droppedUnboundMedia - before.droppedBadBinds - before.droppedMalformed >= 30
            })

        var stream = TestStream()
        var sent = try await Self.broadcast(broadcaster, stream: &stream, steps: 0..<50)
        broadcaster.send(.chat(ChatLine(from: "host", text: "half way", sentAtMilliseconds: 0)))
        sent += try await Self.broadcast(broadcaster, stream: &stream, steps: 50..<100)
        for viewer in viewers + tcpViewers {
            #expect(await viewer.wait { $0.packets.count >= sent.count })
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        }
        for viewer in tcpViewers {
            #expect(viewer.recorded.messages.contains { if case .chat(let line) = $0 { line.text == "half way" } else { false } })
        }
        // Forty addresses over three sockets: some of it came in on the other loops.
        let forwarded = try await harness.unit.inspect { $0.counters.datagramsFromOtherLoops }
        #expect(forwarded > 0)

        // Viewer 0 goes to TCP and back, viewer 1 leaves; the rest get every packet still.
        clients[0].send(.setMode(.tcp, reason: "test switch"))
        #expect(await viewers[0].wait { $0.messages.contains(.modeChanged(.tcp, reason: "test switch")) })
        await clients[1].close()
        sent += try await Self.broadcast(broadcaster, stream: &stream, steps: 100..<150)
        clients[0].send(.setMode(.udp, reason: "back"))
        #expect(await viewers[0].wait { $0.messages.contains(.modeChanged(.udp, reason: "back")) })
        sent += try await Self.broadcast(broadcaster, stream: &stream, steps: 150..<200)
        for viewer in viewers[2...] {
            #expect(await viewer.wait { $0.packets.count >= sent.count })
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        }
        #expect(await viewers[0].wait { Set($0.packets.map(\.packet)).isSuperset(of: sent[..<150]) && $0.packets.last?.via == .udp })
        try await harness.shutdown()
    }
}
