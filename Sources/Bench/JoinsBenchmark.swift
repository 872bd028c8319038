import ArgumentParser
import Client
import Foundation
import Wire

/// `avbench joins`: a flash crowd through the real API. A real CSM process (and, with `--via
/// web`, the portal in front of it) and three real units; many concurrent HTTP clients ask to
/// join one channel as fast as they are answered. Prints joins per second, latency percentiles,
/// and the CPU each process spent per thousand joins.
struct JoinsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joins",
        abstract: "Joins per second through the CSM's HTTP API (or the portal's), with their latency.")

    @Option(help: "The avserver binary (default: next to this one).")
    var avserver: String?
    @Option(help: "First port.")
    var port = 7900
    @Option(help: "Concurrent clients, each on its own keep-alive connection.")
    var connections = 64
    @Option(help: "Seconds of load.")
    var seconds = 10
    @Option(help: "csm: straight to the CSM; web: through the portal.")
    var via = "csm"

    func validate() throws {
        guard via == "csm" || via == "web" else { throw ValidationError("--via is csm or web") }
        guard (1...4096).contains(connections), (1...600).contains(seconds) else { throw ValidationError("--connections 1...4096, --seconds 1...600") }
    }

    func run() async throws {
        let binary = avserver ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver").path
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("avbench-joins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        // Every client is 127.0.0.1: the per-address limits would be the bottleneck otherwise.
        let csm = try ChildProcess(binary, [
            "csm", "--name", "csm-bench", "--unit-port", "\(port)", "--http-port", "\(port + 2)",
            "--state-file", state.appendingPathComponent("csm.json").path,
            "--join-burst", "10000000", "--joins-per-second", "10000000", "--open-burst", "1000", "--connections-per-address", "10000",
        ])
        defer { csm.stop() }
        // Room for every place promised in the 3 s before it lapses: 3 x 1,000 groups of 100.
        let units = try (1...3).map { index in
            try ChildProcess(binary, [
                "unit", "--id", "\(index)", "--session-port", "\(port + 20 * index)", "--media-port", "\(port + 20 * index + 1)", "--websocket-port", "\(port + 20 * index + 3)", "--rtmp-port", "off",
                "--admin-port", "\(port + 20 * index + 2)", "--csm", "127.0.0.1:\(port)", "--groups", "1000", "--capacity", "100",
            ])
        }
        defer { for unit in units { unit.stop() } }
        let api = APIEndpoint(host: "127.0.0.1", port: port + 2)
        for _ in 0..<100 {
            if (try? await api.send(.GET, "/role"))?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Primary, and every unit announced with its lease granted.
        var opened: OpenChannelResponse?
        for _ in 0..<100 where opened == nil {
            let units = (try? await api.send(.GET, "/api/channels")).map { _ in true } ?? false
            if units { opened = try? await api.json(.POST, "/api/channels", body: OpenChannelRequest(title: "flash", broadcasterName: "bench"), as: OpenChannelResponse.self) }
            if opened == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        guard let opened else { throw ValidationError("the CSM on port \(port + 2) opened no channel") }
        // The other units too, so the load spreads.
        try await Task.sleep(for: .seconds(2))
        var web: ChildProcess?
        var target = api
        if via == "web" {
            web = try ChildProcess(binary, ["web", "--port", "\(port + 5)", "--csm", "http://127.0.0.1:\(port + 2)", "--joins-per-second", "10000000", "--join-burst", "10000000"])
            target = APIEndpoint(host: "127.0.0.1", port: port + 5)
            for _ in 0..<100 {
                if (try? await target.send(.GET, "/health"))?.status == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { web?.stop() }

        let path = "/api/channels/\(opened.channel)/join"
        let targetPort = target.port
        let csmBefore = ProcessCPU.seconds(of: csm.pid) ?? 0
        let webBefore = web.flatMap { ProcessCPU.seconds(of: $0.pid) } ?? 0
        let selfBefore = ProcessCPU.seconds(of: getpid()) ?? 0
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let results = await withTaskGroup(of: (latencies: [Double], failures: [Int: Int]).self) { group in
            for _ in 0..<connections {
                group.addTask { [path, targetPort, deadline] in
                    var latencies: [Double] = []
                    var failures: [Int: Int] = [:]
                    let endpoint = APIEndpoint(host: "127.0.0.1", port: targetPort)
                    while ContinuousClock.now < deadline {
                        let before = ContinuousClock.now
                        let status = (try? await endpoint.send(.POST, path))?.status ?? 0
                        let took = ContinuousClock.now - before
                        if status == 200 { latencies.append(Double(took / .microseconds(1)) / 1000) } else { failures[status, default: 0] += 1 }
                    }
                    return (latencies, failures)
                }
            }
            var all: (latencies: [Double], failures: [Int: Int]) = ([], [:])
            for await result in group {
                all.latencies += result.latencies
                all.failures.merge(result.failures, uniquingKeysWith: +)
            }
            return all
        }
        let elapsed = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        let sorted = results.latencies.sorted()
        func percentile(_ fraction: Double) -> String {
            sorted.isEmpty ? "-" : FanOutBenchmark.format(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))], 2)
        }
        let joins = Double(sorted.count)
        let perThousand = { (seconds: Double) in FanOutBenchmark.format(seconds / max(1, joins) * 1000, 3) }
        print("avbench joins via \(via): \(connections) connections for \(seconds) s")
        print("  \(sorted.count) joins answered 200 in \(FanOutBenchmark.format(elapsed, 1)) s: \(Int(joins / elapsed)) a second")
        print("  latency ms: p50 \(percentile(0.5)), p99 \(percentile(0.99)), max \(sorted.last.map { FanOutBenchmark.format($0, 2) } ?? "-")")
        if !results.failures.isEmpty { print("  not 200: \(results.failures.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "no answer" : "\($0.key)") x \($0.value)" }.joined(separator: ", "))") }
        print("  CPU seconds per 1,000 joins: CSM \(perThousand((ProcessCPU.seconds(of: csm.pid) ?? 0) - csmBefore))"
            + (web.map { "  portal \(perThousand((ProcessCPU.seconds(of: $0.pid) ?? 0) - webBefore))" } ?? "")
            + "  this client \(perThousand((ProcessCPU.seconds(of: getpid()) ?? 0) - selfBefore))")
    }
}
