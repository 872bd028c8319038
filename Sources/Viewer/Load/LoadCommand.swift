import ArgumentParser
import Client
import Foundation

/// `viewer load`: many emulated viewers of one channel in one process, then a report.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run many emulated viewers of one channel and report delivery, latency and stalls.",
        discussion: """
            Each viewer is a real session with its own UDP socket (or TCP mode), joining through the \
            web API at the ramp rate and decoding nothing. Prints a progress line each second, then a \
            table (p50/p95/p99/max across viewers), and writes a JSON and an HTML report. Says when \
            the load client itself was the bottleneck (its CPU, datagrams it did not read in time).
            """
    )

    @Option(name: .long, help: "The cluster's web API; repeat it or separate with commas to list fall-backs.")
    var server: [String] = ["http://127.0.0.1:8080", "http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    @Option(help: "The channel to watch.")
    var channel: UInt32
    @Option(help: "Emulated viewers.")
    var viewers = 100
    @Option(name: .customLong("tcp-share"), help: "Percent of viewers that receive over TCP.")
    var tcpShare = 0.0
    @Option(help: "Viewers joining per second.")
    var ramp = 100.0
    @Option(help: "Seconds to watch after the last viewer started joining.")
    var duration = 30.0
    @Option(name: .customLong("bind-timeout"), help: "Seconds to wait for a UDP bind reply before a viewer asks for TCP.")
    var bindTimeout = 2.0
    @Option(help: "Write the JSON report here.")
    var json = "load-report.json"
    @Option(help: "Write the HTML report (with charts) here.")
    var html = "load-report.html"

    var servers: [String] { server.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }

    func validate() throws {
        guard ClusterAPIClient(urls: servers) != nil else { throw ValidationError("--server must look like http://HOST:PORT") }
        guard channel > 0 else { throw ValidationError("--channel must be a positive channel number") }
        guard (1...20_000).contains(viewers) else { throw ValidationError("--viewers must be 1 to 20000") }
        guard (0...100).contains(tcpShare) else { throw ValidationError("--tcp-share is a percentage, 0 to 100") }
        guard ramp > 0 else { throw ValidationError("--ramp must be positive (viewers per second)") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        try FileLimit.raise(toAtLeast: viewers * 2 + 256)
        let settings = LoadReport.Settings(
            servers: servers, channel: channel, viewers: viewers, tcpSharePercent: tcpShare, rampPerSecond: ramp, durationSeconds: duration)
        let terminal = isatty(STDERR_FILENO) == 1
        let lastPrinted = NSLock()
        nonisolated(unsafe) var printedAt = ContinuousClock.now - .seconds(60)
        let run = LoadRun(settings: settings, api: ClusterAPIClient(urls: servers)!, bindTimeout: .milliseconds(Int(bindTimeout * 1000))) { line in
            lastPrinted.withLock {
                if terminal {
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                } else if ContinuousClock.now - printedAt >= .seconds(5) {
                    printedAt = .now
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                }
            }
        }
        let report = await run.run()
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print(TerminalText.clean(report.table, keepingLines: true))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        try LoadReportPage.html(report).write(toFile: html, atomically: true, encoding: .utf8)
        print("reports: \(json), \(html)")
        if report.joined == 0 { throw ExitCode(69) }
    }
}
