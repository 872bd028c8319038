#if canImport(Glibc)
import Glibc
#endif

/// Latencies in logarithmic buckets 5% wide, from 0.1 ms to about 60 s: constant memory per
/// viewer, percentiles within 5%, and histograms of many viewers add up.
struct LatencyHistogram: Sendable, Equatable {
    static let bucketCount = 270
    static let base = 100.0  // µs, the top of bucket 0
    static let growth = 1.05

    private(set) var counts = [Int](repeating: 0, count: bucketCount)
    private(set) var total = 0

    init() {}

    static func bucket(microseconds: Int64) -> Int {
        guard Double(microseconds) > base else { return 0 }
        return min(bucketCount - 1, 1 + Int(log(Double(microseconds) / base) / log(growth)))
    }

    /// The upper edge of a bucket, in microseconds.
    static func upperEdge(_ bucket: Int) -> Double { base * pow(growth, Double(bucket)) }

    mutating func record(microseconds: Int64) {
        counts[Self.bucket(microseconds: microseconds)] += 1
        total += 1
    }

    mutating func add(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
    }

    /// What was recorded since `earlier` (a snapshot of this histogram).
    func subtracting(_ earlier: LatencyHistogram) -> LatencyHistogram {
        var difference = self
        for index in counts.indices { difference.counts[index] -= earlier.counts[index] }
        difference.total -= earlier.total
        return difference
    }

    /// The latency below which `fraction` of the samples lie, in milliseconds; nil when empty.
    func percentile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        let wanted = max(1, Int((Double(total) * fraction).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= wanted { return Self.upperEdge(index) / 1000 }
        }
        return Self.upperEdge(Self.bucketCount - 1) / 1000
    }
}
