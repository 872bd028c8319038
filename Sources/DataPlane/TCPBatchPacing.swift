import NIOCore

/// When a unit writes its TCP receivers: at each video frame's end while that costs the loop
/// little, fewer and larger writes once it does not. A batch costs about one system call per
/// receiver whatever its size, so a loop whose batches take longer (on average) than it has been
/// idle since the last one holds the next frame for the batch timer instead (a write every two
/// frames or more): every receiver still gets everything, a little later, rather than the loop
/// falling ever further behind. nginx-rtmp gets the same from its event loop running late.
package struct TCPBatchPacing: Sendable {
    /// How long batches take, smoothed over about eight (one slow batch, the thread preempted,
    /// does not hold the next frame).
    package private(set) var averageCost = TimeAmount.zero
    /// When the last batch ended.
    package private(set) var lastEnd: NIODeadline = .uptimeNanoseconds(0)

    package init() {}

    /// A batch ran from `start` to `end`.
    package mutating func batchRan(from start: NIODeadline, to end: NIODeadline) {
        let cost = max(.zero, end - start)
        averageCost = .nanoseconds(averageCost.nanoseconds + (cost.nanoseconds - averageCost.nanoseconds) / 8)
        lastEnd = max(start, end)
    }

    /// Whether a frame that ends at `now` goes out at once (else it waits for the batch timer).
    package func writesFrame(at now: NIODeadline) -> Bool {
        now - lastEnd >= averageCost
    }
}
