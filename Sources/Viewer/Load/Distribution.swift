/// Percentiles of one figure across viewers, for the report's table.
struct Distribution: Codable, Sendable {
    var p50: Double
    var p95: Double
    var p99: Double
    var max: Double
    var count: Int

    /// nil when there are no values.
    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func at(_ fraction: Double) -> Double { sorted[Swift.min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)] }
        p50 = at(0.5)
        p95 = at(0.95)
        p99 = at(0.99)
        max = sorted.last!
        count = sorted.count
    }
}
