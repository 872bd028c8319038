/// One second of a load run, for the progress line and the charts.
struct LoadSample: Codable, Sendable {
    var second: Int
    var joined: Int
    var packets: Int
    var latencyP50Milliseconds: Double?
    var latencyP99Milliseconds: Double?
    var stalled: Int
    var coresUsed: Double
}
