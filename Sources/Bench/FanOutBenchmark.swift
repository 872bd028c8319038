import ArgumentParser
import Client
import Foundation
import NIOCore
import NIOPosix
import Wire

/// `avbench fanout`: one ~1 Mbit/s channel (audio every 20 ms, a four-packet video frame every
/// 40 ms) from a real `avserver unit` process to N emulated viewers on loopback, over UDP or TCP
/// (TCP viewers read in batches, every `--read-ms`, as players do). Prints the unit's CPU seconds
/// per delivered gigabit, the share of the stream the worst viewer got, the latency from capture
/// to arrival, and in the same run the machine's own limit for that kind of fan-out
/// (`udp-fanout-limit` with the same mix, `tcp-fanout-limit` at the unit's write interval) with
/// the ratio between the two; for UDP also the latency floor (`LatencyFloor`) and the unit's
/// delay above it.
struct FanOutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fanout", abstract: "Fan-out of one unit: CPU per delivered gigabit, delivery, latency, beside the machine's limit.")

    enum Mode: String, ExpressibleByArgument { case udp, tcp }

    @Option(help: "Viewer counts to run, comma-separated.")
    var viewers = "100,1000,3000"
    @Option(help: "udp or tcp: how every viewer receives.")
    var mode = Mode.udp
    @Option(help: "Seconds of streaming per run.")
    var seconds = 5
    @Option(name: .customLong("read-ms"), help: "Viewers (UDP and TCP) read every this many milliseconds.")
    var readMilliseconds = 20
    @Option(name: .customLong("tcp-batch-ms"), help: "The unit's --tcp-batch-ms (default: the unit's own, 40: a write a video frame).")
    var tcpBatchMilliseconds: Int?
    @Option(name: .customLong("audio-frame-ms"), help: "Sound per audio packet, as the broadcaster's --audio-frame-ms (20, 40, 60).")
    var audioFrameMilliseconds = 20
    @Option(name: .customLong("audio-offset-ms"), help: "Audio packets leave this long after the video frame of their 20 ms step (0-19; 0: just before it). A broadcaster captures sound and pictures on clocks of their own, so any offset happens; 1 is the worst for TCP viewers, whose audio then waits for the next frame's end.")
    var audioOffsetMilliseconds = 0
    @Flag(name: .customLong("in-process"), help: "The data plane's UDP fan-out alone, on one thread of this process (no unit process, no sessions), beside udp-fanout-limit.")
    var inProcess = false
    @Option(help: "The unit's --threads: event loops sending media.")
    var threads = 1
    @Option(help: "The avserver binary (default: next to this one).")
    var avserver: String?
    @Option(help: "The compiled udp-fanout-limit tool; skipped when absent.")
    var fanoutLimit: String?
    @Option(help: "The compiled tcp-fanout-limit tool; skipped when absent.")
    var tcpLimit: String?
    @Option(help: "First port for the unit.")
    var port = 7600

    static let secret = "benchmark secret of the fan-out"

    func validate() throws {
        guard (0..<20).contains(audioOffsetMilliseconds) else { throw ValidationError("--audio-offset-ms 0...19: within one 20 ms step") }
    }

    func run() async throws {
        let counts = viewers.split(separator: ",").compactMap { Int($0) }
        let binary = avserver ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver").path
        let interval = tcpBatchMilliseconds ?? 40
        if inProcess { return try runInProcess(counts) }
        switch mode {
        case .udp: print("limit: udp-fanout-limit in the same run, the same mix (per receiver: audio, a 4-datagram video frame in one GSO message, audio); ratio = unit / limit")
        case .tcp: print("limit: tcp-fanout-limit in the same run, one write per receiver every \(interval) ms, reads every \(readMilliseconds) ms; ratio = unit / limit")
        }
        print("unit: \(threads) thread\(threads == 1 ? "" : "s"); machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; stream ~1 Mbit/s (audio 50 pkt/s, video 25 fps x 4 packets, audio \(audioOffsetMilliseconds == 0 ? "just before each frame" : "\(audioOffsetMilliseconds) ms after it")); \(seconds) s per run; \(mode) viewers")
        if mode == .udp {
            print("floor: the same stream sent straight from this process to N viewer sockets by one thread (sendmmsg, GSO), read the same way; added p99 = unit p99 - floor p99")
        }
        print("viewers  unit cpu-s/Gbit  delivered  worst viewer  latency p50/p99/max ms  longest stall ms  limit cpu-s/Gbit  ratio  unit cores  client cores" + (mode == .udp ? "  floor p50/p99 ms  added p99 ms" : ""))
        var largestServed: Int?
        for count in counts {
            let result = try await runUnit(binary: binary, viewers: count)
            let limit: Double? =
                switch mode {
                case .udp: fanoutLimit.flatMap { Self.limit(tool: $0, arguments: ["\(count)", "\(seconds)", "1200", "64", "4", "120"]) }
                case .tcp: tcpLimit.flatMap { Self.limit(tool: $0, arguments: ["\(count)", "\(seconds)", "1000", "\(interval)", "\(readMilliseconds)"]) }
                }
            let columns = [
                pad("\(count)", 7), pad(Self.format(result.cpuPerGbit, 3), 14), pad(Self.format(result.delivered * 100, 2) + "%", 9),
                pad(Self.format(result.worstViewer * 100, 2) + "%", 12),
                pad(Self.format(result.p50, 1) + " / " + Self.format(result.p99, 1) + " / " + Self.format(result.worstLatency, 1), 22),
                pad(Self.format(result.longestStall, 0), 16),
                pad(limit.map { Self.format($0, 3) } ?? "-", 16), pad(limit.map { Self.format(result.cpuPerGbit / $0, 2) } ?? "-", 5),
                pad(Self.format(result.unitCores, 2), 10), pad(Self.format(result.clientCores, 2), 12),
            ]
            var floorColumns: [String] = []
            if mode == .udp {
                let floor = try LatencyFloor.run(viewers: count, seconds: seconds, audioFrameMilliseconds: audioFrameMilliseconds, readMilliseconds: readMilliseconds)
                let (p50, p99) = (ReceiveStats.percentile(0.5, of: floor.latencyBuckets), ReceiveStats.percentile(0.99, of: floor.latencyBuckets))
                floorColumns = [pad(Self.format(p50, 1) + " / " + Self.format(p99, 1), 16), pad(Self.format(result.p99 - p99, 1), 12)]
            }
            print((columns + floorColumns).joined(separator: "  "))
            if result.worstViewer >= 0.99 && result.longestStall <= 1000 { largestServed = max(largestServed ?? 0, count) }
        }
        print("largest N with every viewer >= 99% and no stall over 1 s: \(largestServed.map(String.init) ?? "none")")
    }

    /// `--in-process`: the library's fan-out on this thread beside the C limit, same mix, same run.
    func runInProcess(_ counts: [Int]) throws {
        print("in process: ChannelFeed + ChannelFanOut + DatagramBatch + UDPSendPlan over sendmmsg, one thread; limit: udp-fanout-limit with the same mix; both the sending thread's CPU")
        print("viewers  data plane cpu-s/Gbit  delivered  batch in to last send p50/p99/max ms  limit cpu-s/Gbit  ratio")
        for count in counts {
            let result = try InProcessFanOut.run(viewers: count, seconds: seconds, audioFrameMilliseconds: audioFrameMilliseconds)
            let limit = fanoutLimit.flatMap { Self.limit(tool: $0, arguments: ["\(count)", "\(seconds)", "1200", "64", "4", "120"]) }
            print(
                [
                    pad("\(count)", 7), pad(Self.format(result.cpuPerGbit, 3), 21), pad(Self.format(result.delivered * 100, 2) + "%", 9),
                    pad([result.batchDelay.p50, result.batchDelay.p99, result.batchDelay.max].map { Self.format($0, 2) }.joined(separator: " / "), 35),
                    pad(limit.map { Self.format($0, 3) } ?? "-", 16), pad(limit.map { Self.format(result.cpuPerGbit / $0, 2) } ?? "-", 5),
                ].joined(separator: "  "))
        }
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        if decimals == 0 { return "\(Int(value.rounded()))" }
        let scale = pow(10, Double(decimals))
        let rounded = (value * scale).rounded() / scale
        let text = "\(rounded)"
        let fraction = text.split(separator: ".").dropFirst().first?.count ?? 0
        return text + String(repeating: "0", count: max(0, decimals - fraction))
    }

    func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Runs a limit tool (udp- or tcp-fanout-limit) and returns its cpu-seconds per delivered gigabit.
    static func limit(tool: String, arguments: [String]) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.contains("cpu-seconds per delivered gigabit") }),
            let value = line.split(separator: ":").last?.split(separator: " ").first
        else { return nil }
        return Double(value)
    }
}
