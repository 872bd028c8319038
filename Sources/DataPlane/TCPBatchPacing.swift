import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// When a unit writes a channel's TCP receivers: once a video frame while that costs the loop
/// little, fewer and larger writes once it does not.
///
/// A frame's end writes at once, unless the channel's next audio packet is due within
/// `frameWaitForAudio`: then the write waits for that packet (or its due time), so that it does
/// not wait a whole frame interval for the next write. A broadcaster captures sound and pictures
/// on clocks of their own: with an audio packet every 20 ms coming 1 ms after each frame, writing
/// at the frame's end left that packet 39 ms waiting; waiting for it instead leaves no packet
/// waiting over about 20 ms, with still one write a frame.
///
/// A batch costs about one system call per receiver whatever its size, so once batches take over
/// 70% of the loop's time (its own CPU time, over the last second) every frame waits for the
/// batch timer instead and goes with what follows (a write every two frames or so), until they
/// take under 30%: every receiver still gets everything, a little later, rather than the loop
/// falling ever further behind. nginx-rtmp gets the same from its event loop running late.
package struct TCPBatchPacing: Sendable {
    /// Whether frames wait for the batch timer now.
    package private(set) var holding = false
    private var windowStart: NIODeadline?
    private var windowCost = TimeAmount.zero
    /// The last audio packet: when it came and its RTP sequence number and timestamp.
    private var lastAudio: (arrival: NIODeadline, sequence: UInt16, timestamp: UInt32)?
    /// How much sound an audio packet carries, from the timestamps of two in a row.
    private var audioPacketDuration: TimeAmount?
    /// Whether a finished frame waits for the audio packet due next.
    package private(set) var frameWaitsForAudio = false

    package static let window = TimeAmount.seconds(1)
    /// The longest a finished frame waits for the audio packet due after it.
    package static let frameWaitForAudio = TimeAmount.milliseconds(20)
    /// How late past its due time an awaited audio packet may come (network and capture jitter).
    package static let audioLateness = TimeAmount.milliseconds(2)
    /// Opus's RTP clock (RFC 7587), whatever the sampling rate.
    static let audioClockRate: Int64 = 48_000

    package init() {}

    /// How a finished video frame, or any other packet, gets written.
    package enum Write: Equatable, Sendable {
        /// Now, with everything since the last write.
        case now
        /// At this instant at the latest (the awaited audio packet may bring it forward).
        case by(NIODeadline)
        /// With the next batch: at a frame's end, or the batch interval after the first packet waiting.
        case withTheNextBatch
    }

    /// An audio packet came: whether it is the one a finished frame waits for (write now).
    package mutating func audioArrived(sequence: UInt16, timestamp: UInt32, at now: NIODeadline) -> Bool {
        if let last = lastAudio, sequence == last.sequence &+ 1 {
            let microseconds = Int64(timestamp &- last.timestamp) * 1_000_000 / Self.audioClockRate
            // 10-120 ms: what Opus packets carry; anything else is a jump of the sender's clock.
            if (10_000...120_000).contains(microseconds) { audioPacketDuration = .microseconds(microseconds) }
        }
        lastAudio = (now, sequence, timestamp)
        defer { frameWaitsForAudio = false }
        return frameWaitsForAudio
    }

    /// A video frame's last packet came.
    package mutating func frameEnded(at now: NIODeadline) -> Write {
        guard !holding && !frameWaitsForAudio else { return .withTheNextBatch }
        guard let last = lastAudio, let duration = audioPacketDuration else { return .now }
        let due = last.arrival + duration + Self.audioLateness
        guard due > now && due - now <= Self.frameWaitForAudio else { return .now }
        frameWaitsForAudio = true
        return .by(due)
    }

    /// The receivers are being written: whatever waited goes now.
    package mutating func writing() { frameWaitsForAudio = false }

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

    /// The calling thread's CPU time so far.
    package static var threadTime: TimeAmount {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .nanoseconds(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
    }
}
