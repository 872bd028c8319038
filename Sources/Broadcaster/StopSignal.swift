import Client

#if canImport(Glibc)
import Glibc
#endif

/// Ends a run: Ctrl-C, SIGTERM, the end of `--duration`, or an input file that ended; says which came.
final class StopSignal: Sendable {
    private let reasons: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() { (reasons, continuation) = AsyncStream.makeStream(of: String.self) }

    /// Ends the run from anywhere (a capture thread whose file ended).
    func stop(because reason: String) { continuation.yield(reason) }

    func wait(seconds: Double?) async -> String {
        let signals = SignalWatch([SIGINT, SIGTERM]) { [continuation] in continuation.yield($0 == SIGINT ? "Ctrl-C" : "SIGTERM") }
        let timer = Task { [continuation] in
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
