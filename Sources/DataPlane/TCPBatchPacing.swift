import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// When a unit writes its TCP receivers: at each video frame's end while that costs the loop
/// little, fewer and larger writes once it does not. A batch costs about one system call per
/// receiver whatever its size, so once batches take over 70% of the loop's time (its own CPU
/// time, over the last second) every frame waits for the batch timer instead and goes with what
/// follows (a write every two frames or so), until they take under 30%: every receiver
/// still gets everything, a little later, rather than the loop falling ever further behind.
/// nginx-rtmp gets the same from its event loop running late.
package struct TCPBatchPacing: Sendable {
    /// Whether frames wait for the batch timer now.
    package private(set) var holding = false
    private var windowStart: NIODeadline?
    private var windowCost = TimeAmount.zero

    package static let window = TimeAmount.seconds(1)

    package init() {}

    /// A batch took `cost` of the loop's CPU and ended at `end`.
    package mutating func batchRan(cost: TimeAmount, endedAt end: NIODeadline) {
        windowCost = windowCost + max(.zero, cost)
        guard let start = windowStart else {
            windowStart = end
            windowCost = .zero
            return
        }
        let elapsed = end - start
        guard elapsed >= Self.window else { return }
        let share = Double(windowCost.nanoseconds) / Double(elapsed.nanoseconds)
        // Holding adds up to a batch interval of delay: only where the loop is near full (2,000 TCP
        // viewers on one loop take about half of it, and a frame each 40 ms keeps them near 40 ms
        // behind live; 5,000 take three quarters).
        holding = holding ? share > 0.3 : share > 0.7
        windowStart = end
        windowCost = .zero
    }

    /// Whether a frame's end writes the receivers at once (else it waits for the batch timer).
    package var writesFrame: Bool { !holding }

    /// The calling thread's CPU time so far.
    package static var threadTime: TimeAmount {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .nanoseconds(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
    }
}
