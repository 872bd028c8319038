import DataPlane
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The TCP batch's pacing, on given times: frames at once while batches take a small share of
/// the loop's time, held for the batch timer from over 70% until under 30%.
struct TCPBatchPacingTests {
    static func at(_ milliseconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000)) }

    /// Batches every `spacing` ms from `from` ms, each costing `cost` ms; returns the last end.
    @discardableResult
    static func run(_ pacing: inout TCPBatchPacing, seconds: Int64, from: Int64, spacing: Int64, cost: Int64) -> Int64 {
        var end = from
        for index in 0..<(seconds * 1_000 / spacing) {
            end = from + index * spacing + cost
            pacing.batchRan(cost: .milliseconds(cost), endedAt: at(end))
        }
        return end
    }

    @Test func batchesOfUpToSixTenthsOfTheLoopLetEveryFrameGoAtOnce() {
        var pacing = TCPBatchPacing()
        #expect(pacing.writesFrame)
        // 1,000 viewers: 8 ms of sends for each frame of 40 ms.
        Self.run(&pacing, seconds: 5, from: 0, spacing: 40, cost: 8)
        #expect(pacing.writesFrame)
        // 2,000-2,500 viewers: 20-24 ms a frame.
        Self.run(&pacing, seconds: 5, from: 5_000, spacing: 40, cost: 24)
        #expect(pacing.writesFrame)
    }

    @Test func oneSlowBatchDoesNotHoldFrames() {
        var pacing = TCPBatchPacing()
        let end = Self.run(&pacing, seconds: 2, from: 0, spacing: 40, cost: 8)
        // A keyframe's batch took 30 ms.
        pacing.batchRan(cost: .milliseconds(30), endedAt: Self.at(end + 40))
        Self.run(&pacing, seconds: 2, from: end + 80, spacing: 40, cost: 8)
        #expect(pacing.writesFrame)
    }

    @Test func batchesOverSevenTenthsOfTheLoopHoldFramesUntilTheyTakeUnderThreeTenths() {
        var pacing = TCPBatchPacing()
        // 5,000 viewers: 30 ms of sends for each frame of 40 ms.
        var end = Self.run(&pacing, seconds: 2, from: 0, spacing: 40, cost: 30)
        #expect(!pacing.writesFrame)
        // Held, a batch every 80 ms costs about what one did: 40% of the loop, still held.
        end = Self.run(&pacing, seconds: 3, from: end + 10, spacing: 80, cost: 32)
        #expect(!pacing.writesFrame)
        // Viewers left: 15 ms a batch, under 30%: frames go at once again.
        Self.run(&pacing, seconds: 3, from: end + 10, spacing: 80, cost: 15)
        #expect(pacing.writesFrame)
    }

    @Test func aNegativeCostCountsAsNone() {
        var pacing = TCPBatchPacing()
        for step in 0..<100 { pacing.batchRan(cost: .milliseconds(-50), endedAt: Self.at(Int64(step) * 40)) }
        #expect(pacing.writesFrame)
    }

    @Test func theThreadsOwnTimeMovesWithWorkNotWithSleep() {
        let before = TCPBatchPacing.threadTime
        var sum = 0
        for value in 0..<2_000_000 { sum &+= value &* 31 }
        let worked = TCPBatchPacing.threadTime
        usleep(50_000)
        let slept = TCPBatchPacing.threadTime - worked
        #expect(sum != 0 && worked > before && slept < .milliseconds(25))
    }
}
