import Wire

/// Measures RTP loss from sequence numbers over a sliding window of one-second buckets: what a
/// viewer uses to decide that its UDP path is too lossy (paper 5.2) and what load tests report.
public struct LossMeter: Sendable {
    private struct Bucket {
        var second: Int64
        var received = 0
        var expected = 0
    }

    /// Per SSRC: the highest extended sequence number seen, and which of the 64 before it came
    /// (bit n: highest - n), so a duplicate is not counted as delivered twice.
    private var highest: [UInt32: (sequence: Int64, seen: UInt64)] = [:]
    private var buckets: [Bucket] = []
    private let keep: Int
    public private(set) var totalReceived = 0
    public private(set) var totalExpected = 0

    /// Keeps `seconds` of buckets.
    public init(seconds: Int = 30) { keep = max(1, seconds) }

    /// Counts a packet arriving at `second` (any monotonic seconds count).
    public mutating func record(ssrc: UInt32, sequence: UInt16, second: Int64) {
        var expected = 0
        if let last = highest[ssrc] {
            let delta = Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: last.sequence)))
            if delta > 0 {
                expected = Int(delta)
                highest[ssrc] = (last.sequence + delta, delta >= 64 ? 1 : last.seen << UInt64(delta) | 1)
            } else if -delta < 64 {
                let bit = UInt64(1) << UInt64(-delta)
                if last.seen & bit != 0 { return }  // a duplicate
                highest[ssrc] = (last.sequence, last.seen | bit)
            }
        } else {
            highest[ssrc] = (Int64(sequence), 1)
            expected = 1
        }
        if buckets.last?.second != second {
            buckets.append(Bucket(second: second))
            if buckets.count > keep { buckets.removeFirst(buckets.count - keep) }
        }
        buckets[buckets.count - 1].received += 1
        buckets[buckets.count - 1].expected += expected
        totalReceived += 1
        totalExpected += expected
    }

    /// The fraction lost over the last `seconds` before `second`; nil while fewer than
    /// `minimumExpected` packets were due (too few to judge).
    public func loss(overLast seconds: Int, at second: Int64, minimumExpected: Int = 50) -> Double? {
        var received = 0
        var expected = 0
        for bucket in buckets where bucket.second > second - Int64(seconds) && bucket.second <= second {
            received += bucket.received
            expected += bucket.expected
        }
        guard expected >= minimumExpected else { return nil }
        return max(0, 1 - Double(received) / Double(expected))
    }

    /// The newest packet of each stream so far: where a session opened again resumes.
    public var resumePoint: ResumePoint? {
        guard !highest.isEmpty else { return nil }
        return ResumePoint(streams: highest.sorted { $0.key < $1.key }.prefix(WireLimits.resumeStreams).map {
            ResumePoint.Stream(ssrc: $0.key, sequence: UInt16(truncatingIfNeeded: $0.value.sequence))
        })
    }

    /// Forgets the window (after a mode switch), keeping the sequence state and totals.
    public mutating func resetWindow() { buckets.removeAll() }
}
