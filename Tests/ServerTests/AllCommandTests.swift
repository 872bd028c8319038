import Foundation
import Testing

/// `avserver all`, the demo, as a real process.
@Suite struct AllCommandTests {
    /// SIGTERM (as from systemd or Ctrl-C's SIGINT) ends the whole cluster with status 0: the
    /// CSM once threw CancellationError on shutdown, and the service group then cancelled the
    /// units and the portal mid-shutdown (exit 1, a hang or SQLite's unclosed-connection assert).
    @Test(.timeLimit(.minutes(1))) func sigtermEndsTheWholeClusterWithStatusZero() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("avserver-all-\(getpid()).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = UnitProcess.binary
        // Below TestPorts' range and the kernel's ephemeral one; the CSMs use base..base+81, unit 1 base+100..+103.
        process.arguments = ["all", "--units", "1", "--base-port", "17000", "--web-port", "17090"]
        process.environment = ProcessInfo.processInfo.environment.merging(["AVCLUSTER_EXIT_WITH_PARENT": "1"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func printed() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        #expect(try await eventually(timeout: .seconds(30)) { printed().contains("is primary at epoch 1") && printed().contains("Server started and listening on 127.0.0.1:17090") }, "\(printed())")
        kill(process.processIdentifier, SIGTERM)
        #expect(try await eventually(timeout: .seconds(20)) { !process.isRunning }, "still running after SIGTERM: \(printed())")
        #expect(process.terminationStatus == 0 && !printed().contains("Error:"), "\(printed())")
    }
}
