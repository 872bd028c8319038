import Foundation
import NIOConcurrencyHelpers

/// A capture loop on its own thread (device reads block): runs `step` until stopped or until it
/// throws, and lets an async caller wait for the thread to leave the loop.
final class CaptureThread: Sendable {
    private let running = NIOLockedValueBox(true)
    private let finished = NIOLockedValueBox(false)

    init(name: String, what: String, step: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [running, finished] in
            defer { finished.withLockedValue { $0 = true } }
            do {
                while running.withLockedValue({ $0 }) { try step() }
            } catch {
                Console.shared.error("\(what) stopped: \(error)")
            }
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for its thread to leave it.
    func stop() async {
        running.withLockedValue { $0 = false }
        while !finished.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
    }
}
