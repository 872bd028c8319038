import ArgumentParser
import Client
import Foundation
import NIOConcurrencyHelpers
import Wire

/// `avbench probe`: opens a channel through the cluster API, streams a synthetic channel as its
/// broadcaster and watches it as one viewer for a while; prints the viewer's longest gap and how
/// many audio packets it missed, and fails when it missed any. The HA tests run it across a CSM
/// failover: the data plane must not notice.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", abstract: "Stream and watch one channel; report gaps and losses.")

    @Option(help: "The cluster API, e.g. http://10.77.0.100:7080.")
    var api: String
    @Option(help: "Seconds to stream.")
    var seconds = 10
    @Option(help: "Write the channel number here once streaming (for scripts).")
    var channelFile: String?

    func run() async throws {
        guard let http = APIEndpoint(url: api) else { throw ValidationError("--api must look like http://HOST:PORT") }
        let opened = try await http.json(.POST, "/api/channels", body: OpenChannelRequest(title: "probe", broadcasterName: "probe"), as: OpenChannelResponse.self)
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "probe", localHost: "0.0.0.0")
        try await broadcaster.bindUDP()
        let place = try await http.json(.POST, "/api/channels/\(opened.channel)/join", as: JoinChannelResponse.self)
        let arrivals = NIOLockedValueBox<[(UInt16, ContinuousClock.Instant)]>([])
        let viewer = try await SessionClient.connect(
            to: place.unit, ticket: place.ticket, peer: .viewer, name: "probe-viewer", localHost: "0.0.0.0",
            mediaSink: { packet, _ in
                guard let rtp = try? RTPPacket(parsing: packet), rtp.ssrc == SyntheticStream.audioSSRC else { return }
                arrivals.withLockedValue { $0.append((rtp.sequenceNumber, .now)) }
            })
        try await viewer.bindUDP()
        if let channelFile { try "\(opened.channel)\n".write(toFile: channelFile, atomically: true, encoding: .utf8) }

        var stream = SyntheticStream()
        let start = ContinuousClock.now
        for step in 0..<(seconds * 50) {
            broadcaster.sendMedia(stream.next(step: step), via: .udp)
            if step % 25 == 0 {
                broadcaster.sendBind()
                viewer.sendBind()
            }
            try await Task.sleep(until: start + .milliseconds(20 * (step + 1)), clock: .continuous)
        }
        try await Task.sleep(for: .milliseconds(300))
        let received = arrivals.withLockedValue { $0 }
        let sequences = received.map(\.0)
        let missed = zip(sequences, sequences.dropFirst()).reduce(0) { $0 + Int($1.1 &- $1.0 &- 1) }
        let gap = zip(received, received.dropFirst()).map { $1.1 - $0.1 }.max() ?? .zero
        print("probe: channel \(opened.channel), \(received.count) audio packets, \(missed) missed, longest gap \(FanOutBenchmark.format(FailoverBenchmark.milliseconds(gap), 0)) ms")
        await viewer.close()
        await broadcaster.close()
        if missed > 0 || received.count < seconds * 40 { throw ExitCode(1) }
    }
}
