import NIOCore

/// A token bucket per session: `burst` lines at once, refilled over `window`.
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

    /// Takes a token when one is left.
    package mutating func allow(at now: NIODeadline) -> Bool {
        tokens = min(burst, tokens + Double((now - last).nanoseconds) * refillPerNanosecond)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
