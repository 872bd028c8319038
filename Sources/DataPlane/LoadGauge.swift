import NIOCore

/// How busy a unit is, measured at each heartbeat: the bytes it sent per second since the last
/// one, and how late its loop ran its timers (the heartbeat itself and the TCP batches). Past
/// `maxLoopDelay` the unit is overloaded (it refuses new viewers) until it catches up. The
/// heartbeat brings the time and the byte count.
package struct LoadGauge {
    package let interval: TimeAmount
    package let maxLoopDelay: TimeAmount
    package private(set) var bytesPerSecond: UInt64 = 0
    /// How late the loop ran timers over the last heartbeat interval.
    package private(set) var loopDelay = TimeAmount.zero
    package private(set) var overloaded = false
    private var latestTimerDelay = TimeAmount.zero
    private var bytesOutAtLastBeat: UInt64 = 0
    private var lastBeat: NIODeadline

    package init(interval: TimeAmount, maxLoopDelay: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.maxLoopDelay = maxLoopDelay
        lastBeat = now
    }

    /// A timer due at some time ran `late` after it.
    package mutating func timerRan(late: TimeAmount) {
        latestTimerDelay = max(latestTimerDelay, late)
    }

    /// The heartbeat at `now`, with every byte the unit sent so far; true when `overloaded` changed.
    package mutating func heartbeat(now: NIODeadline, bytesOut: UInt64) -> Bool {
        loopDelay = max(now - lastBeat - interval, latestTimerDelay, .zero)
        latestTimerDelay = .zero
        let elapsed = max(Double((now - lastBeat).nanoseconds) / 1e9, 0.001)
        bytesPerSecond = UInt64(Double(bytesOut - min(bytesOutAtLastBeat, bytesOut)) / elapsed)
        bytesOutAtLastBeat = bytesOut
        lastBeat = now
        let over = loopDelay > maxLoopDelay
        guard over != overloaded else { return false }
        overloaded = over
        return true
    }
}
