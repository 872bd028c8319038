import Foundation
import Media
import NIOConcurrencyHelpers

/// A capture loop on its own thread (device reads block): runs `step` until stopped or until it
/// throws, and lets an async caller wait for the thread to leave the loop. An input file that
/// ends stops the whole run through `stop`.
final class CaptureThread: Sendable {
    private let running = NIOLockedValueBox(true)
    private let finished = NIOLockedValueBox(false)

    init(name: String, what: String, stop: StopSignal, step: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [running, finished] in
            defer { finished.withLockedValue { $0 = true } }
            do {
                while running.withLockedValue({ $0 }) { try step() }
            } catch let ended as InputEnded {
                stop.stop(because: ended.description)
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
