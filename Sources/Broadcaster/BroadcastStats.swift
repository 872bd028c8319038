import Media
import NIOConcurrencyHelpers

/// What the pumps and the uplink count, read once a second for the status line.
final class BroadcastStats: Sendable {
    struct Counters {
        var videoFrames = 0
        var videoBytes = 0
        var keyframes = 0
        var audioPackets = 0
        var audioBytes = 0
        var audioLevel = AudioLevel(peakDecibels: -90)
        var packetsDropped = 0
    }

    private let counters = NIOLockedValueBox(Counters())

    func update(_ change: (inout Counters) -> Void) { counters.withLockedValue(change) }
    var snapshot: Counters { counters.withLockedValue { $0 } }
}
