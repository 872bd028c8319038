/// Token buckets per client address (docs/SECURITY.md: no exhaustion through the public API):
/// `burst` requests at once, refilled at `perSecond`. Pure: time is an input. Memory stays
/// bounded: past `maxAddresses` the buckets that are full again (idle clients) are dropped.
struct RequestRateLimiter: Sendable {
    let burst: Double
    let perSecond: Double
    let maxAddresses: Int
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    init(burst: Int, perSecond: Double, maxAddresses: Int = 100_000) {
        self.burst = Double(max(burst, 1))
        self.perSecond = max(perSecond, 0.001)
        self.maxAddresses = maxAddresses
    }

    /// nil when the request may go ahead; else how long until it would.
    mutating func admit(_ address: String, now: ContinuousClock.Instant) -> Duration? {
        var bucket = buckets[address] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + Self.seconds(now - bucket.at) * perSecond)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[address] = bucket
            return .milliseconds(Int64(((1 - bucket.tokens) / perSecond * 1000).rounded(.up)))
        }
        bucket.tokens -= 1
        buckets[address] = bucket
        if buckets.count > maxAddresses { forgetIdle(now: now) }
        return nil
    }

    private mutating func forgetIdle(now: ContinuousClock.Instant) {
        buckets = buckets.filter { $0.value.tokens + Self.seconds(now - $0.value.at) * perSecond < burst }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// How many opens and joins one client address may make (`avserver csm` and `avserver web` flags).
struct RateLimits: Sendable {
    var openBurst = 10
    var opensPerMinute = 10.0
    var joinBurst = 50
    var joinsPerSecond = 10.0

    /// So many that one machine's load test is never held back (`avserver all`, tests).
    static let unlimited = RateLimits(openBurst: 1_000_000, opensPerMinute: 1e9, joinBurst: 1_000_000, joinsPerSecond: 1e9)
}
