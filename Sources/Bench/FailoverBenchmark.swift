import ArgumentParser
import Client
import Foundation
import Wire

/// `avbench failover`: a primary and a backup CSM and three units, all real processes; kill -9
/// the primary and time until a join succeeds on the backup. Repeated; prints min, median, max.
/// With `--viewers N`, a real broadcaster streams the test pattern and `viewer load` watches it
/// with N viewers the whole time: the takeover measured while the units carry media.
struct FailoverBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "failover", abstract: "Time from kill -9 of the primary CSM to the first successful join.")

    @Option(help: "Runs.")
    var runs = 10
    @Option(help: "The avserver binary (default: next to this one).")
    var avserver: String?
    @Option(help: "First port.")
    var port = 7700
    @Option(help: "Viewers (viewer load) watching a real broadcaster during each run; 0: none.")
    var viewers = 0

    func run() async throws {
        let binary = avserver ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver").path
        var times: [Duration] = []
        for run in 1...runs {
            let time = try await once(binary: binary)
            print("run \(run): joins work again \(FanOutBenchmark.format(Self.milliseconds(time), 0)) ms after kill -9 of the primary")
            times.append(time)
        }
        let sorted = times.sorted()
        print("failover over \(runs) runs\(viewers > 0 ? " with \(viewers) viewers watching" : "") (defaults: CSM heartbeat 250 ms, lease 1 s): min \(FanOutBenchmark.format(Self.milliseconds(sorted.first!), 0)) ms, median \(FanOutBenchmark.format(Self.milliseconds(sorted[sorted.count / 2]), 0)) ms, max \(FanOutBenchmark.format(Self.milliseconds(sorted.last!), 0)) ms")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    func once(binary: String) async throws -> Duration {
        // Each run a new cluster: its own epochs and registered units.
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("avbench-failover-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let csm = { (name: String, offset: Int, peer: Int, backup: Bool) in
            try ChildProcess(binary, [
                "csm", "--name", name, "--unit-port", "\(port + offset)", "--http-port", "\(port + offset + 2)",
                "--peer", "127.0.0.1:\(port + peer)", "--state-file", state.appendingPathComponent("\(name).json").path,
                // Every viewer comes from 127.0.0.1.
                "--join-burst", "100000", "--joins-per-second", "100000", "--open-burst", "1000",
            ] + (backup ? ["--backup"] : []))
        }
        let primary = try csm("csm-a", 0, 10, false)
        let backup = try csm("csm-b", 10, 0, true)
        defer {
            primary.stop()
            backup.stop()
        }
        let units = try (1...3).map { index in
            try ChildProcess(binary, [
                "unit", "--id", "\(index)", "--session-port", "\(port + 20 * index)", "--media-port", "\(port + 20 * index + 1)", "--websocket-port", "\(port + 20 * index + 3)", "--rtmp-port", "off",
                "--admin-port", "\(port + 20 * index + 2)", "--csm", "127.0.0.1:\(port)", "--csm", "127.0.0.1:\(port + 10)",
                "--sessions-per-address", "100000", "--unopened-sessions", "100000", "--unopened-per-network", "100000",
            ])
        }
        defer { for unit in units { unit.stop() } }
        var primaryAPI = APIEndpoint(host: "127.0.0.1", port: port + 2)
        var backupAPI = APIEndpoint(host: "127.0.0.1", port: port + 12)
        var victim = primary
        // The primary once the units granted it their leases (and opens are not spent on waiting):
        // usually csm-a, but at a cold start either may win.
        for _ in 0..<100 {
            if (try? await primaryAPI.send(.GET, "/role"))?.status == 200 { break }
            if (try? await backupAPI.send(.GET, "/role"))?.status == 200 {
                swap(&primaryAPI, &backupAPI)
                victim = backup
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let opened: OpenChannelResponse
        do {
            opened = try await primaryAPI.json(
                .POST, "/api/channels", body: OpenChannelRequest(title: "bench", broadcasterName: "bench"), as: OpenChannelResponse.self)
        } catch {
            throw ValidationError("the primary CSM on port \(port + 2) opened no channel: \(error)")
        }
        var load: [ChildProcess] = []
        defer { for child in load.reversed() { child.stop() } }
        if viewers > 0 {
            let tools = URL(fileURLWithPath: binary).deletingLastPathComponent()
            let servers = "http://127.0.0.1:\(primaryAPI.port),http://127.0.0.1:\(backupAPI.port)"
            load.append(try ChildProcess(tools.appendingPathComponent("broadcaster").path, [
                "--server", servers, "--title", "load", "--video", "test", "--audio", "test", "--duration", "600",
            ]))
            var channel: ChannelID?
            for _ in 0..<100 where channel == nil {
                channel = (try? await primaryAPI.json(.GET, "/api/channels", as: [ChannelSummary].self))?.first { $0.title == "load" }?.channel
                if channel == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard let channel else { throw ValidationError("the broadcaster did not open its channel") }
            load.append(try ChildProcess(tools.appendingPathComponent("viewer").path, [
                "load", "--server", servers, "--channel", "\(channel)", "--viewers", "\(viewers)", "--ramp", "200", "--duration", "60",
                "--json", state.appendingPathComponent("load.json").path, "--html", state.appendingPathComponent("load.html").path,
            ]))
            // Every viewer joined and streaming.
            try await Task.sleep(for: .seconds(Double(viewers) / 200 + 3))
            let watching = (try? await primaryAPI.json(.GET, "/api/channels", as: [ChannelSummary].self))?.first { $0.channel == channel }?.viewers ?? 0
            print("  \(watching) viewers on channel \(channel) at the kill")
        }
        // Let the backup hear the primary and the units a few times.
        try await Task.sleep(for: .seconds(1))
        let killed = ContinuousClock.now
        kill(victim.pid, SIGKILL)
        while ContinuousClock.now - killed < .seconds(30) {
            if (try? await backupAPI.json(.POST, "/api/channels/\(opened.channel)/join", as: JoinChannelResponse.self)) != nil {
                return ContinuousClock.now - killed
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationError("the backup did not take over within 30 s")
    }
}
