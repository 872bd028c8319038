import Testing

@testable import Client

@Suite struct LossMeterTests {
    @Test func lossIsMeasuredPerWindowAcrossWrapsAndStreams() {
        var meter = LossMeter()
        var sequence: UInt16 = 65_000
        for second in 0..<10 {
            for step in 0..<50 {
                defer { sequence &+= 1 }
                meter.record(ssrc: 2, sequence: UInt16(truncatingIfNeeded: second * 50 + step), second: Int64(second))
                if second >= 5 && step % 10 == 0 { continue }  // 10% of stream 1 lost from second 5
                meter.record(ssrc: 1, sequence: sequence, second: Int64(second))
            }
        }
        #expect(meter.loss(overLast: 5, at: 4) == 0)
        let recent = meter.loss(overLast: 5, at: 9) ?? -1
        #expect(abs(recent - 0.05) < 0.01)  // 10% of one stream of two
        #expect(meter.loss(overLast: 1, at: 30) == nil)
    }

    @Test func duplicatesAndReorderingAreNotLoss() {
        var meter = LossMeter()
        for sequence in [1, 2, 4, 3, 5, 5, 6, 2] as [UInt16] { meter.record(ssrc: 9, sequence: sequence, second: 0) }
        #expect(meter.loss(overLast: 1, at: 0, minimumExpected: 1) == 0)
        #expect(meter.totalReceived == 6 && meter.totalExpected == 6)
    }
}
