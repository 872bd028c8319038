import Client
import DataPlane
import Foundation
import NIOCore
import Wire

/// The latency floor beside `avbench fanout --mode udp`: the same stream sent from this process
/// straight to N viewer sockets the moment each step's packets are made, by the data plane's send
/// plan over `sendmmsg` on one thread (no ingest hop, no event loop, no sessions), and read as the
/// unit's viewers are read (every `--read-ms`, the kernel's arrival stamps).
///
/// One thread hands a frame to the kernel for one receiver after another, and on loopback the
/// sending thread also runs each receiver's side of the kernel: the last of 1,000 receivers gets a
/// frame well after the first. No relay sending from one thread beats that, so what a unit adds
/// to a packet's path is its latency above this floor, measured in the same run.
enum LatencyFloor {
    static func run(viewers: Int, seconds: Int, audioFrameMilliseconds: Int, readMilliseconds: Int) throws -> ReceiveStats.Counts {
        let socket = try UDPFanOutSocket(boundTo: SocketAddress(ipAddress: "127.0.0.1", port: 0), sharedPort: false, sendBuffer: 4 << 20, receiveBuffer: 1 << 20)
        defer { socket.close() }
        let sender = try SocketAddress(ipAddress: "127.0.0.1", port: socket.port)
        let stats = ReceiveStats(viewers: viewers)
        let receiveLoop = ReceiveLoop(tick: .milliseconds(readMilliseconds))
        defer { receiveLoop.stop() }
        var addresses: [SocketAddress] = []
        for index in 0..<viewers {
            let viewer = try ViewerSocket(unit: sender) { packet, arrival, _ in
                stats.record(packet, viewer: index, arrival: arrival.microsecondsSinceEpoch)
            }
            receiveLoop.add(viewer)
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: boundPort(of: viewer.descriptor))
            addresses.append(address)
        }
        let channel = InProcessFanOut.RoutedChannel(receivers: addresses)
        var stream = SyntheticStream(keyframeInterval: 50, videoFrameSize: 4_600, audioFrameMilliseconds: audioFrameMilliseconds)
        let start = ContinuousClock.now
        for step in 0..<(seconds + 1) * 50 {
            // A second to warm up, as the unit's run has.
            if step == 50 { stats.startRecording() }
            channel.route(stream.next(step: step))
            _ = socket.send(channel.plan)
            channel.plan.reset()
            InProcessFanOut.sleep(until: start + .milliseconds(20 * (step + 1)))
        }
        let streamEnd = ReceiveStats.wallMicroseconds
        Thread.sleep(forTimeInterval: 0.2)
        stats.stopRecording(streamEnd: streamEnd)
        return stats.snapshot
    }
}
