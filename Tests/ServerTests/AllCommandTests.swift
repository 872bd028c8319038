import Foundation
import Testing

/// A real `avserver all` process whose output goes to a file, killed when the test ends.
final class AllProcess {
    let process = Process()
    private let output: URL

    /// Below TestPorts' range and the kernel's ephemeral one; the CSMs use base..base+81, unit 1
    /// base+100..+103 and RTMP on base+95 (not 1935: the suite's two clusters run side by side).
    init(basePort: Int, webPort: Int) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("avserver-all-\(getpid())-\(basePort).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = UnitProcess.binary
        process.arguments = ["all", "--units", "1", "--base-port", "\(basePort)", "--web-port", "\(webPort)", "--rtmp-port", "\(basePort + 95)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["AVCLUSTER_EXIT_WITH_PARENT": "1"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: output)
    }

    var printed: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
}

/// `avserver all`, the demo, as a real process.
@Suite struct AllCommandTests {
    /// SIGTERM (as from systemd or Ctrl-C's SIGINT) ends the whole cluster with status 0: the
    /// CSM once threw CancellationError on shutdown, and the service group then cancelled the
    /// units and the portal mid-shutdown (exit 1, a hang or SQLite's unclosed-connection assert).
    @Test(.timeLimit(.minutes(1))) func sigtermEndsTheWholeClusterWithStatusZero() async throws {
        let all = try AllProcess(basePort: 17000, webPort: 17090)
        let process = all.process
        func printed() -> String { all.printed }

        #expect(try await eventually(timeout: .seconds(30)) { printed().contains("is primary at epoch 1") && printed().contains("Server started and listening on 127.0.0.1:17090") }, "\(printed())")
        kill(process.processIdentifier, SIGTERM)
        #expect(try await eventually(timeout: .seconds(20)) { !process.isRunning }, "still running after SIGTERM: \(printed())")
        #expect(process.terminationStatus == 0 && !printed().contains("Error:"), "\(printed())")
    }

    /// A portal whose port is taken ends `avserver all` with a non-zero status and one message that
    /// names the port and what holds it, not a log line and a cluster without its portal.
    @Test(.timeLimit(.minutes(1))) func aPortalPortThatIsTakenEndsTheClusterAndSaysWhoHoldsIt() async throws {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(17490).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0 && listen(holder, 1) == 0, "the test's own listener on 17490")
        let all = try AllProcess(basePort: 17400, webPort: 17490)
        let process = all.process
        func printed() -> String { all.printed }
        #expect(try await eventually(timeout: .seconds(30)) { !process.isRunning }, "still running with its portal's port taken: \(printed())")
        let text = printed()
        print("avserver all with its portal's port taken: status \(process.terminationStatus); \(text.split(separator: "\n").last { $0.contains("Error:") } ?? "")")
        #expect(process.terminationStatus != 0)
        #expect(text.contains("the web portal cannot listen on port 17490: address already in use") && text.contains("held by process \(getpid())"), "\(text)")
        #expect(!text.contains("Stop with Ctrl-C"), "no banner for a cluster that did not start")
    }
}
