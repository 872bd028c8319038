import Foundation

/// Waits for Ctrl-C, SIGTERM or the end of `--duration`, and says which came.
enum StopSignal {
    static func wait(seconds: Double?) async -> String {
        let (reasons, continuation) = AsyncStream.makeStream(of: String.self)
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "Ctrl-C"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        let timer = Task {
            guard let seconds else { return }
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            continuation.yield("--duration \(seconds) s reached")
        }
        defer {
            timer.cancel()
            sources.forEach { $0.cancel() }
        }
        for await reason in reasons { return reason }
        return "stopped"
    }
}
