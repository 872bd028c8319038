/// What a watch counted, for the status line (per second) and the summary at the end.
struct WatchStatistics {
    var audioPackets = 0
    var videoPackets = 0
    var bytes = 0
    var framesShown = 0
    var switches = 0
    var rejoins = 0

    // The last second's figures.
    var secondBytes = 0
    var secondFrames = 0
    var secondAges: [Int64] = []

    /// Median capture-to-arrival age of the last second's packets, in milliseconds.
    mutating func closeSecond() -> (kilobits: Int, frames: Int, latency: Int?) {
        defer {
            secondBytes = 0
            secondFrames = 0
            secondAges.removeAll(keepingCapacity: true)
        }
        let sorted = secondAges.sorted()
        return (secondBytes * 8 / 1000, secondFrames, sorted.isEmpty ? nil : Int(sorted[sorted.count / 2] / 1000))
    }
}
