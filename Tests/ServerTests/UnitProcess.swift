import Foundation

/// A real `avserver unit` process, for tests that kill units with SIGKILL.
final class UnitProcess: @unchecked Sendable {
    // Process is not Sendable; this object only starts it, reads its pid and kills it.
    private let process = Process()

    /// The avserver binary built next to the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver")
    }

    init(id: Int, csm: String, secret: String, arguments: [String] = []) throws {
        process.executableURL = Self.binary
        process.arguments = [
            "unit", "--id", "\(id)", "--session-port", "0", "--media-port", "0", "--websocket-port", "0", "--rtmp-port", "0", "--admin-port", "0", "--csm", csm,
            "--heartbeat-milliseconds", "100",
        ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["AVCLUSTER_SECRET": secret, "AVCLUSTER_EXIT_WITH_PARENT": "1"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill() }
    }
}
