import DataPlane
import NIOCore
import Testing

/// A unit's load as each heartbeat measures it.
struct LoadGaugeTests {
    let start = NIODeadline.uptimeNanoseconds(10_000_000_000)

    @Test func bytesPerSecondAreCountedOverTheHeartbeatsInterval() {
        var gauge = LoadGauge(interval: .milliseconds(500), maxLoopDelay: .milliseconds(200), now: start)
        let changed = gauge.heartbeat(now: start + .milliseconds(500), bytesOut: 1_000_000)
        #expect(!changed && gauge.bytesPerSecond == 2_000_000)
        _ = gauge.heartbeat(now: start + .milliseconds(1_500), bytesOut: 1_500_000)
        #expect(gauge.bytesPerSecond == 500_000, "over a late beat's whole interval")
    }

    @Test func aLateLoopIsOverloadedUntilItCatchesUp() {
        var gauge = LoadGauge(interval: .milliseconds(500), maxLoopDelay: .milliseconds(200), now: start)
        gauge.timerRan(late: .milliseconds(50))
        let first = gauge.heartbeat(now: start + .milliseconds(510), bytesOut: 0)
        #expect(!first && gauge.loopDelay == .milliseconds(50) && !gauge.overloaded)
        gauge.timerRan(late: .milliseconds(300))
        let late = gauge.heartbeat(now: start + .milliseconds(1_010), bytesOut: 0)
        #expect(late && gauge.overloaded, "a batch timer 300 ms late")
        let stillLate = gauge.heartbeat(now: start + .milliseconds(1_800), bytesOut: 0)
        #expect(!stillLate && gauge.overloaded && gauge.loopDelay == .milliseconds(290), "the heartbeat itself 290 ms late")
        let caughtUp = gauge.heartbeat(now: start + .milliseconds(2_300), bytesOut: 0)
        #expect(caughtUp && !gauge.overloaded && gauge.loopDelay == .zero)
    }
}
