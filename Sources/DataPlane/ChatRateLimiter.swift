import NIOCore

/// A token bucket: `burst` lines at once, refilled over `window`.
package struct ChatRateLimiter {
    package let burst: Double
    package let refillPerNanosecond: Double
    private var tokens: Double
    private var last: NIODeadline

    package init(burst: Int, window: TimeAmount = .seconds(10), now: NIODeadline) {
        self.burst = Double(max(burst, 1))
        refillPerNanosecond = self.burst / Double(window.nanoseconds)
        tokens = self.burst
        last = now
    }

    /// Takes a token when one is left, and `reserve` more stay.
    package mutating func allow(at now: NIODeadline, keeping reserve: Double = 0) -> Bool {
        tokens = min(burst, tokens + Double((now - last).nanoseconds) * refillPerNanosecond)
        last = now
        guard tokens >= 1 + reserve else { return false }
        tokens -= 1
        return true
    }

    /// Returns a token taken for a line that was refused after all.
    package mutating func giveBack() { tokens = min(burst, tokens + 1) }

    /// Whether the bucket is full again (a sender quiet for a whole window): it can be forgotten.
    package func isFull(at now: NIODeadline) -> Bool {
        tokens + Double((now - last).nanoseconds) * refillPerNanosecond >= burst
    }
}
