import DataPlane
import NIOCore
import Testing

/// The TCP batch's pacing, on given times: a frame at once while batches are cheap, held for the
/// timer once the last batch took longer than the loop has been idle since.
struct TCPBatchPacingTests {
    static func at(_ milliseconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000)) }

    @Test func aCheapBatchLetsTheNextFrameGoAtOnce() {
        var pacing = TCPBatchPacing()
        #expect(pacing.writesFrame(at: Self.at(0)))
        // 1,000 viewers: 8 ms of sends, frames every 40 ms.
        pacing.batchRan(from: Self.at(0), to: Self.at(8))
        #expect(pacing.writesFrame(at: Self.at(40)))
    }

    @Test func aBatchThatTookMostOfTheIntervalHoldsTheNextFrameThenLetsTheOneAfterGo() {
        var pacing = TCPBatchPacing()
        // 5,000 viewers: 35 ms of sends; the next frame ends 5 ms after: it waits.
        pacing.batchRan(from: Self.at(0), to: Self.at(35))
        #expect(!pacing.writesFrame(at: Self.at(40)))
        // Nothing ran since: the frame after goes, with the one held (a write every 80 ms).
        #expect(pacing.writesFrame(at: Self.at(80)))
        // Batches of two frames that cost what one did leave the loop idle over half the time.
        pacing.batchRan(from: Self.at(80), to: Self.at(116))
        #expect(!pacing.writesFrame(at: Self.at(120)))
        #expect(pacing.writesFrame(at: Self.at(160)))
    }

    @Test func anEndBeforeItsStartCountsAsNoCost() {
        var pacing = TCPBatchPacing()
        pacing.batchRan(from: Self.at(10), to: Self.at(5))
        #expect(pacing.writesFrame(at: Self.at(10)))
    }
}
