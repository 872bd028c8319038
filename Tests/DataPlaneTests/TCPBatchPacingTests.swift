import DataPlane
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The TCP batch's pacing, on given times: frames at once while batches take a small share of
/// the loop's time, held for the batch timer from over 70% until under 30%; a frame waits for an
/// audio packet due just after it.
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
        #expect(!pacing.holding)
        // 1,000 viewers: 8 ms of sends for each frame of 40 ms.
        Self.run(&pacing, seconds: 5, from: 0, spacing: 40, cost: 8)
        #expect(!pacing.holding)
        // 2,000-2,500 viewers: 20-24 ms a frame.
        Self.run(&pacing, seconds: 5, from: 5_000, spacing: 40, cost: 24)
        #expect(!pacing.holding)
    }

    @Test func oneSlowBatchDoesNotHoldFrames() {
        var pacing = TCPBatchPacing()
        let end = Self.run(&pacing, seconds: 2, from: 0, spacing: 40, cost: 8)
        // A keyframe's batch took 30 ms.
        pacing.batchRan(cost: .milliseconds(30), endedAt: Self.at(end + 40))
        Self.run(&pacing, seconds: 2, from: end + 80, spacing: 40, cost: 8)
        #expect(!pacing.holding)
    }

    @Test func batchesOverSevenTenthsOfTheLoopHoldFramesUntilTheyTakeUnderThreeTenths() {
        var pacing = TCPBatchPacing()
        // 5,000 viewers: 30 ms of sends for each frame of 40 ms.
        var end = Self.run(&pacing, seconds: 2, from: 0, spacing: 40, cost: 30)
        #expect(pacing.holding)
        // Held, a batch every 80 ms costs about what one did: 40% of the loop, still held.
        end = Self.run(&pacing, seconds: 3, from: end + 10, spacing: 80, cost: 32)
        #expect(pacing.holding)
        // Viewers left: 15 ms a batch, under 30%: frames go at once again.
        Self.run(&pacing, seconds: 3, from: end + 10, spacing: 80, cost: 15)
        #expect(!pacing.holding)
    }

    @Test func aNegativeCostCountsAsNone() {
        var pacing = TCPBatchPacing()
        for step in 0..<100 { pacing.batchRan(cost: .milliseconds(-50), endedAt: Self.at(Int64(step) * 40)) }
        #expect(!pacing.holding)
    }

    /// An audio packet of 20 ms, its timestamp 960 ticks of Opus's 48 kHz clock a sequence number.
    static func audio(_ pacing: inout TCPBatchPacing, at milliseconds: Int64, sequence: UInt16) -> Bool {
        pacing.audioArrived(sequence: sequence, timestamp: UInt32(sequence) &* 960, at: at(milliseconds))
    }

    @Test func audioJustBeforeEachFrameLetsTheFrameGoAtOnce() {
        var pacing = TCPBatchPacing()
        for period in Int64(0)..<10 {
            let start = period * 40
            #expect(!Self.audio(&pacing, at: start, sequence: UInt16(period * 2)))
            #expect(pacing.frameEnded(at: Self.at(start) + .microseconds(300)) == .now)
            pacing.writing()
            #expect(!Self.audio(&pacing, at: start + 20, sequence: UInt16(period * 2 + 1)))
        }
    }

    @Test func aFrameWaitsForTheAudioPacketDueJustAfterIt() {
        var pacing = TCPBatchPacing()
        // Nothing is known of the audio yet: the first frame goes at once.
        #expect(pacing.frameEnded(at: Self.at(0)) == .now)
        pacing.writing()
        #expect(!Self.audio(&pacing, at: 1, sequence: 0))
        #expect(!Self.audio(&pacing, at: 21, sequence: 1))
        for period in Int64(1)..<10 {
            let start = period * 40
            // Due 20 ms after the last one, with 2 ms of lateness allowed.
            #expect(pacing.frameEnded(at: Self.at(start)) == .by(Self.at(start + 3)))
            #expect(pacing.frameWaitsForAudio)
            #expect(Self.audio(&pacing, at: start + 1, sequence: UInt16(period * 2)), "the awaited packet writes the batch")
            pacing.writing()
            #expect(!Self.audio(&pacing, at: start + 21, sequence: UInt16(period * 2 + 1)))
        }
    }

    @Test func aFrameWhoseAudioIsLostWaitsOnlyUntilItsDueTime() {
        var pacing = TCPBatchPacing()
        _ = Self.audio(&pacing, at: 5, sequence: 0)
        _ = Self.audio(&pacing, at: 25, sequence: 1)
        #expect(pacing.frameEnded(at: Self.at(40)) == .by(Self.at(47)))
        // The next frame's end while the first still waits: it goes with the same write.
        #expect(pacing.frameEnded(at: Self.at(41)) == .withTheNextBatch)
        pacing.writing()  // the due time came
        #expect(!pacing.frameWaitsForAudio)
        // Audio overdue by more than its lateness: nothing to wait for.
        #expect(pacing.frameEnded(at: Self.at(48)) == .now)
    }

    @Test func aFrameDoesNotWaitForAudioItCannotTimeOrFarOff() {
        var gaps = TCPBatchPacing()
        // Lost packets in between: the cadence is not learned from them.
        _ = Self.audio(&gaps, at: 1, sequence: 0)
        _ = Self.audio(&gaps, at: 41, sequence: 2)
        #expect(gaps.frameEnded(at: Self.at(42)) == .now)
        var jump = TCPBatchPacing()
        // The sender's clock jumped ten seconds.
        _ = jump.audioArrived(sequence: 0, timestamp: 0, at: Self.at(1))
        _ = jump.audioArrived(sequence: 1, timestamp: 480_000, at: Self.at(21))
        #expect(jump.frameEnded(at: Self.at(22)) == .now)
        var long = TCPBatchPacing()
        // 60 ms packets: the next one is 59 ms off, past what a frame waits.
        _ = long.audioArrived(sequence: 0, timestamp: 0, at: Self.at(1))
        _ = long.audioArrived(sequence: 1, timestamp: 2_880, at: Self.at(61))
        #expect(long.frameEnded(at: Self.at(62)) == .now)
        #expect(long.frameEnded(at: Self.at(104)) == .by(Self.at(123)))
    }

    @Test func framesHeldUnderLoadDoNotWaitForAudio() {
        var pacing = TCPBatchPacing()
        Self.run(&pacing, seconds: 2, from: 0, spacing: 40, cost: 30)
        #expect(pacing.holding)
        _ = Self.audio(&pacing, at: 2_001, sequence: 0)
        _ = Self.audio(&pacing, at: 2_021, sequence: 1)
        #expect(pacing.frameEnded(at: Self.at(2_040)) == .withTheNextBatch)
        #expect(!pacing.frameWaitsForAudio)
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
