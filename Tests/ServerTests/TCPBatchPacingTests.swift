import DataPlane
import NIOCore
import Testing

/// The TCP batch's pacing, on given times: a frame at once while batches are cheap, held for the
/// timer once batches take longer than the loop has been idle since the last.
struct TCPBatchPacingTests {
    static func at(_ milliseconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000)) }

    /// Batches every `spacing` ms from `from`, each taking `cost` ms.
    static func run(_ pacing: inout TCPBatchPacing, batches: Int, from: Int64, spacing: Int64, cost: Int64) {
        for index in 0..<Int64(batches) {
            pacing.batchRan(from: at(from + index * spacing), to: at(from + index * spacing + cost))
        }
    }

    @Test func cheapBatchesLetEveryFrameGoAtOnce() {
        var pacing = TCPBatchPacing()
        #expect(pacing.writesFrame(at: Self.at(0)))
        // 1,000 viewers: 8 ms of sends, frames every 40 ms.
        Self.run(&pacing, batches: 50, from: 0, spacing: 40, cost: 8)
        #expect(pacing.writesFrame(at: Self.at(50 * 40)))
    }

    @Test func oneSlowBatchDoesNotHoldTheNextFrame() {
        var pacing = TCPBatchPacing()
        Self.run(&pacing, batches: 50, from: 0, spacing: 40, cost: 8)
        // The thread was preempted: one batch took 30 ms; the next frame ends 10 ms after it.
        pacing.batchRan(from: Self.at(2_000), to: Self.at(2_030))
        #expect(pacing.writesFrame(at: Self.at(2_040)))
    }

    @Test func batchesThatTakeMostOfTheIntervalWriteEveryOtherFrame() {
        var pacing = TCPBatchPacing()
        // 5,000 viewers: 35 ms of sends for each frame of 40 ms.
        Self.run(&pacing, batches: 50, from: 0, spacing: 40, cost: 35)
        let end: Int64 = 49 * 40 + 35
        // The next frame ends 5 ms after the last batch: it waits; the one after goes with it.
        #expect(!pacing.writesFrame(at: Self.at(end + 5)))
        #expect(pacing.writesFrame(at: Self.at(end + 45)))
        // Batches of two frames that cost what one did: the loop is idle over half the time.
        Self.run(&pacing, batches: 50, from: end + 45, spacing: 80, cost: 36)
        let later = end + 45 + 49 * 80 + 36
        #expect(!pacing.writesFrame(at: Self.at(later + 4)))
        #expect(pacing.writesFrame(at: Self.at(later + 44)))
    }

    @Test func anEndBeforeItsStartCountsAsNoCost() {
        var pacing = TCPBatchPacing()
        pacing.batchRan(from: Self.at(10), to: Self.at(5))
        #expect(pacing.averageCost == .zero && pacing.writesFrame(at: Self.at(10)))
    }
}
