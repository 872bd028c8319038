import ArgumentParser
import Client
import Foundation
import NIOCore
import NIOPosix
import Wire

/// One run against a real unit process: the viewers emulated in this process, the broadcaster
/// sending the channel's stream, and what each side cost.
extension FanOutBenchmark {
    struct Result {
        /// CPU the emulated viewers (this process) used per second: near the machine's cores means
        /// the load client, not the unit, limits delivery.
        var clientCores: Double
        var unitCores: Double
        var cpuPerGbit: Double
        var delivered: Double
        /// The share of the stream the viewer that got least received.
        var worstViewer: Double
        var p50: Double
        var p99: Double
        /// The latest packet behind live, and the longest any viewer waited between two packets (ms).
        var worstLatency: Double
        var longestStall: Double
    }

    func runUnit(binary: String, viewers: Int) async throws -> Result {
        let groups = viewers / 10 + 2
        let address = UnitAddress(unit: 1, host: "127.0.0.1", sessionPort: port, mediaPort: port + 1)
        if let stale = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: address.host, port: port).get() {
            try? await stale.close()
            throw ValidationError("port \(port) is already in use (a unit left running?); stop it or pass --port")
        }
        let process = try ChildProcess(
            binary,
            [
                "unit", "--id", "1", "--session-port", "\(port)", "--media-port", "\(port + 1)", "--admin-port", "\(port + 2)", "--websocket-port", "\(port + 3)", "--rtmp-port", "off",
                // Every emulated viewer comes from 127.0.0.1.
                "--groups", "\(groups)", "--capacity", "10", "--sessions-per-address", "\(viewers + 16)", "--unopened-sessions", "\(viewers + 16)", "--unopened-per-network", "\(viewers + 16)", "--threads", "\(threads)",
            ] + (tcpBatchMilliseconds.map { ["--tcp-batch-ms", "\($0)"] } ?? []),
            environment: ["AVCLUSTER_SECRET": Self.secret])
        defer { process.stop() }
        let signer = TicketSigner(secret: Self.secret)
        @Sendable func ticket(_ role: TicketRole, group: Int) -> String {
            signer.sign(Ticket(channel: 1, group: GroupID(UInt16(group)), role: role, unit: 1, expiresAtMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000) + 600_000))
        }
        var broadcaster: SessionClient?
        for _ in 0..<100 where broadcaster == nil {
            broadcaster = try? await SessionClient.connect(
                to: address, ticket: ticket(.broadcaster, group: 1), peer: .broadcaster, name: "bench", udpSocket: false)
            if broadcaster == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let broadcaster, process.isRunning else {
            throw ValidationError("the unit at \(binary) did not start on port \(port); is another one running there?")
        }

        // Viewers read as a player does, every `readMilliseconds` and not at each packet: UDP
        // viewers are sessions whose sockets one thread drains with recvmmsg (`ReceiveLoop`, as
        // `viewer load` has; the kernel stamps arrivals), TCP viewers plain sockets read by one
        // thread (`TCPViewerLoad`). Thousands cost the client little, and nobody waits on a
        // socket, so the unit's sends wake no one (as with udp-fanout-limit's busy receiver).
        let stats = ReceiveStats(viewers: viewers)
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let receiveLoop = ReceiveLoop(tick: .milliseconds(readMilliseconds))
        // The broadcaster's media leaves from the pacing task itself, each packet the moment it is
        // made, as the latency floor sends it: no event-loop hop between capture stamp and send.
        let uplink = try ViewerSocket(unit: address.mediaAddress()) { _, _, _ in }
        receiveLoop.add(uplink)
        uplink.binding.start(broadcaster.opened)
        // Each packet proves the broadcaster's session, as the `broadcaster` CLI's do.
        let uplinkTag = broadcaster.opened.uplinkKey.flatMap(UplinkTag.init(text:))
        try await BindExchange.run(timeout: .seconds(5), replies: uplink.bindReplies) { uplink.sendBind() }
        var clients: [(session: SessionClient, socket: ViewerSocket)] = []
        var tcpViewers: TCPViewerLoad?
        switch mode {
        case .tcp:
            tcpViewers = try TCPViewerLoad(count: viewers, unit: address, readInterval: .milliseconds(readMilliseconds)) { ticket(.viewer, group: 2 + $0 / 10) }
        case .udp:
            let media = try address.mediaAddress()
            for start in stride(from: 0, to: viewers, by: 50) {
                try await withThrowingTaskGroup(of: (SessionClient, ViewerSocket).self) { group in
                    for index in start..<min(start + 50, viewers) {
                        group.addTask {
                            let session = try await SessionClient.connect(
                                to: address, ticket: ticket(.viewer, group: 2 + index / 10), peer: .viewer, name: "v\(index)", group: loops,
                                udpSocket: false)
                            let socket = try ViewerSocket(unit: media) { packet, arrival, _ in
                                stats.record(packet, viewer: index, arrival: arrival.microsecondsSinceEpoch)
                            }
                            receiveLoop.add(socket)
                            socket.binding.start(session.opened)
                            try await BindExchange.run(timeout: .seconds(5), replies: socket.bindReplies) { socket.sendBind() }
                            return (session, socket)
                        }
                    }
                    for try await client in group { clients.append(client) }
                }
            }
        }

        // Stream: warm up a second, then measure.
        var stream = SyntheticStream(keyframeInterval: 50, videoFrameSize: 4_600, audioFrameMilliseconds: audioFrameMilliseconds)
        let steps = (seconds + 1) * 50
        var sent = 0
        var cpuStart = 0.0
        var clientCPUStart = 0.0
        var windowStart = ContinuousClock.now
        var received: ReceiveStats.Counts
        let start = ContinuousClock.now
        for step in 0..<steps {
            if step == 50 {
                cpuStart = ProcessCPU.seconds(of: process.pid) ?? 0
                clientCPUStart = ProcessCPU.seconds(of: getpid()) ?? 0
                windowStart = .now
                stats.startRecording()
                tcpViewers?.startRecording()
                sent = 0
            }
            sent += try await stream.send(step: step, from: start, audioOffset: .milliseconds(audioOffsetMilliseconds)) { packets in
                for packet in packets { uplink.send(uplinkTag?.tagged(packet) ?? packet) }
            }.count
            if step % 50 == 0 {
                // The UDP keepalive, once a second as `viewer` sends it: a unit drops silent addresses.
                uplink.sendBind()
                for client in clients { client.socket.sendBind() }
            }
            try await Task.sleep(until: start + .milliseconds(20 * (step + 1)), clock: .continuous)
        }
        let streamEnd = ReceiveStats.wallMicroseconds
        try await Task.sleep(for: .milliseconds(200))
        stats.stopRecording(streamEnd: streamEnd)
        let tcpCounts = tcpViewers?.stop(streamEnd: streamEnd)
        let cpu = (ProcessCPU.seconds(of: process.pid) ?? 0) - cpuStart
        let clientCPU = (ProcessCPU.seconds(of: getpid()) ?? 0) - clientCPUStart
        let window = Double((ContinuousClock.now - windowStart).components.attoseconds) / 1e18 + Double((ContinuousClock.now - windowStart).components.seconds)
        received = tcpCounts ?? stats.snapshot
        receiveLoop.stop()
        for client in clients { await client.session.close() }
        await broadcaster.close()
        try await loops.shutdownGracefully()

        let gigabits = Double(received.bytes) * 8 / 1e9
        return Result(
            clientCores: clientCPU / window, unitCores: cpu / window,
            cpuPerGbit: gigabits > 0 ? cpu / gigabits : .infinity,
            delivered: Double(received.packets) / Double(sent * viewers),
            worstViewer: Double(received.perViewer.min() ?? 0) / Double(max(sent, 1)),
            p50: ReceiveStats.percentile(0.5, of: received.latencyBuckets),
            p99: ReceiveStats.percentile(0.99, of: received.latencyBuckets),
            worstLatency: Double(received.worstLatency) / 1000, longestStall: Double(received.longestGap.max() ?? 0) / 1000)
    }
}
