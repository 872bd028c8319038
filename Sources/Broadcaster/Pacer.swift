import Foundation

/// Paces a capture loop on a thread: one tick every `period` from the start, so a source that
/// answers at once (a tone, a file, the test pattern) goes out in real time without drift.
final class Pacer {
    private let period: Duration
    private let start = ContinuousClock.now
    private var ticks = 0

    init(period: Duration) { self.period = period }

    func waitForNextTick() {
        let due = start + period * ticks
        ticks += 1
        let wait = due - ContinuousClock.now
        if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds)) }
        // Far behind (the machine stalled): start counting again rather than burst to catch up.
        if ContinuousClock.now - due > period * 10 { ticks = Int((ContinuousClock.now - start) / period) + 1 }
    }
}
