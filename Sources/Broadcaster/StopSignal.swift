import Client

#if canImport(Glibc)
import Glibc
#endif

/// Waits for Ctrl-C, SIGTERM or the end of `--duration`, and says which came.
enum StopSignal {
    static func wait(seconds: Double?) async -> String {
        let (reasons, continuation) = AsyncStream.makeStream(of: String.self)
        let signals = SignalWatch([SIGINT, SIGTERM]) { continuation.yield($0 == SIGINT ? "Ctrl-C" : "SIGTERM") }
        let timer = Task {
            guard let seconds else { return }
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            continuation.yield("--duration \(seconds) s reached")
        }
        defer {
            timer.cancel()
            signals.cancel()
        }
        for await reason in reasons { return reason }
        return "stopped"
    }
}
