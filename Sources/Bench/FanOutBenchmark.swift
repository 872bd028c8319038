import ArgumentParser
import Client
import Foundation
import NIOCore
import NIOPosix
import Wire

/// `avbench fanout`: one ~1 Mbit/s channel from a real `avserver unit` process to N emulated UDP
/// viewers on loopback. Prints the unit's CPU seconds per delivered gigabit, the delivered ratio
/// and the latency from capture to arrival, and in the same run the raw limit of this machine
/// (`udp-fanout-limit`) with the ratio between the two.
struct FanOutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fanout", abstract: "UDP fan-out of one unit: CPU per delivered gigabit, delivery, latency.")

    @Option(help: "Viewer counts to run, comma-separated.")
    var viewers = "100,1000,3000"
    @Option(help: "Seconds of streaming per run.")
    var seconds = 5
    @Option(help: "The avserver binary (default: next to this one).")
    var avserver: String?
    @Option(help: "The compiled udp-fanout-limit tool; skipped when absent.")
    var fanoutLimit: String?
    @Option(help: "First port for the unit.")
    var port = 7600

    static let secret = "benchmark secret"

    func run() async throws {
        let counts = viewers.split(separator: ",").compactMap { Int($0) }
        let binary = avserver ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver").path
        print("limit: udp-fanout-limit in the same run (sendmmsg of 1200 B datagrams; 'GSO x4': bursts of 4 per receiver); ratio = unit / limit")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; stream ~1 Mbit/s (audio 50 pkt/s, video 25 fps); \(seconds) s per run")
        print("viewers  unit cpu-s/Gbit  delivered  latency p50/p99 ms  limit cpu-s/Gbit  ratio  unit cores  client cores  limit GSO x4")
        for count in counts {
            let result = try await runUnit(binary: binary, viewers: count)
            let limit = fanoutLimit.flatMap { Self.limit(tool: $0, receivers: count, seconds: seconds, burst: 1) }
            let limitGSO = fanoutLimit.flatMap { Self.limit(tool: $0, receivers: count, seconds: seconds, burst: 4) }
            let columns = [
                pad("\(count)", 7), pad(Self.format(result.cpuPerGbit, 3), 14), pad(Self.format(result.delivered * 100, 2) + "%", 9),
                pad(Self.format(result.p50, 2) + " / " + Self.format(result.p99, 2), 18),
                pad(limit.map { Self.format($0, 3) } ?? "-", 16), pad(limit.map { Self.format(result.cpuPerGbit / $0, 2) } ?? "-", 5),
                pad(Self.format(result.unitCores, 2), 10), pad(Self.format(result.clientCores, 2), 12),
                pad(limitGSO.map { Self.format($0, 3) } ?? "-", 15),
            ]
            print(columns.joined(separator: "  "))
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

    struct Result {
        /// CPU the emulated viewers (this process) used per second: near 2 on this machine means
        /// the load client, not the unit, limits delivery.
        var clientCores: Double
        var unitCores: Double
        var cpuPerGbit: Double
        var delivered: Double
        var p50: Double
        var p99: Double
    }

    func runUnit(binary: String, viewers: Int) async throws -> Result {
        let groups = viewers / 10 + 2
        let address = UnitAddress(unit: 1, host: "127.0.0.1", sessionPort: port, mediaPort: port + 1)
        if let stale = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: address.host, port: port).get() {
            try? await stale.close()
            throw ValidationError("port \(port) is already in use (a unit left running?); stop it or pass --port")
        }
        let process = try ChildProcess(binary, [
            "unit", "--id", "1", "--session-port", "\(port)", "--media-port", "\(port + 1)", "--admin-port", "\(port + 2)",
            "--groups", "\(groups)", "--capacity", "10", "--secret", Self.secret,
        ])
        defer { process.stop() }
        let signer = TicketSigner(secret: Self.secret)
        func ticket(_ role: TicketRole, group: Int) -> String {
            signer.sign(Ticket(channel: 1, group: GroupID(UInt16(group)), role: role, unit: 1, expiresAtMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000) + 600_000))
        }
        var broadcaster: SessionClient?
        for _ in 0..<100 where broadcaster == nil {
            broadcaster = try? await SessionClient.connect(to: address, ticket: ticket(.broadcaster, group: 1), peer: .broadcaster, name: "bench")
            if broadcaster == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let broadcaster, process.isRunning else {
            throw ValidationError("the unit at \(binary) did not start on port \(port); is another one running there?")
        }
        try await broadcaster.bindUDP()

        let stats = ReceiveStats()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var clients: [SessionClient] = []
        for start in stride(from: 0, to: viewers, by: 50) {
            try await withThrowingTaskGroup(of: SessionClient.self) { group in
                for index in start..<min(start + 50, viewers) {
                    group.addTask {
                        let client = try await SessionClient.connect(
                            to: address, ticket: ticket(.viewer, group: 2 + index / 10), peer: .viewer, name: "v\(index)", group: loops,
                            mediaSink: { packet, _ in stats.record(packet) })
                        try await client.bindUDP()
                        return client
                    }
                }
                for try await client in group { clients.append(client) }
            }
        }

        // Stream: warm up a second, then measure.
        var stream = SyntheticStream(keyframeInterval: 50, videoFrameSize: 4_600)
        let steps = (seconds + 1) * 50
        var sent = 0
        var cpuStart = 0.0
        var clientCPUStart = 0.0
        var windowStart = ContinuousClock.now
        var received = ReceiveStats.Counts()
        let start = ContinuousClock.now
        for step in 0..<steps {
            if step == 50 {
                cpuStart = ProcessCPU.seconds(of: process.pid) ?? 0
                clientCPUStart = ProcessCPU.seconds(of: getpid()) ?? 0
                windowStart = .now
                stats.setRecording(true)
                sent = 0
            }
            let packets = stream.next(step: step)
            sent += packets.count
            broadcaster.sendMedia(packets, via: .udp)
            if step % 50 == 0 { broadcaster.sendBind() }
            try await Task.sleep(until: start + .milliseconds(20 * (step + 1)), clock: .continuous)
        }
        try await Task.sleep(for: .milliseconds(200))
        stats.setRecording(false)
        let cpu = (ProcessCPU.seconds(of: process.pid) ?? 0) - cpuStart
        let clientCPU = (ProcessCPU.seconds(of: getpid()) ?? 0) - clientCPUStart
        let window = Double((ContinuousClock.now - windowStart).components.attoseconds) / 1e18 + Double((ContinuousClock.now - windowStart).components.seconds)
        received = stats.snapshot
        for client in clients { await client.close() }
        await broadcaster.close()
        try await loops.shutdownGracefully()

        let gigabits = Double(received.bytes) * 8 / 1e9
        return Result(
            clientCores: clientCPU / window, unitCores: cpu / window,
            cpuPerGbit: gigabits > 0 ? cpu / gigabits : .infinity,
            delivered: Double(received.packets) / Double(sent * viewers),
            p50: ReceiveStats.percentile(0.5, of: received.latencyBuckets),
            p99: ReceiveStats.percentile(0.99, of: received.latencyBuckets))
    }

    /// Runs udp-fanout-limit and returns its cpu-seconds per delivered gigabit.
    static func limit(tool: String, receivers: Int, seconds: Int, burst: Int) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["\(receivers)", "\(seconds)", "1200", "64", "\(burst)"]
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
