import Testing

@testable import Wire

@Suite struct H264PacketizerTests {
    @Test func smallNALUnitsGoAloneAndLargeOnesInFUAFragments() {
        let packetizer = H264Packetizer(maxPayloadSize: 100)
        let sps: [UInt8] = [0x67, 1, 2, 3]
        let idr: [UInt8] = [0x65] + (0..<250).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = packetizer.payloads(for: [sps, idr])
        #expect(payloads.first == sps, "a single NAL unit packet is the NAL unit itself")
        let fragments = Array(payloads.dropFirst())
        #expect(fragments.count == 3 && fragments.allSatisfy { $0.count <= 100 })
        #expect(fragments.allSatisfy { $0[0] == 0x60 | 28 }, "FU indicator: F and NRI of the IDR, type 28")
        #expect(fragments.map { $0[1] } == [0x80 | 5, 5, 0x40 | 5], "start, middle, end, each with the NAL type")
        #expect([0x65] + fragments.flatMap { $0.dropFirst(2) } == idr, "the fragments put back are the NAL unit")
    }

    @Test func aNALUnitOfExactlyTheBudgetIsNotFragmented() {
        let packetizer = H264Packetizer(maxPayloadSize: 64)
        let nal = [UInt8](repeating: 0x41, count: 64)
        #expect(packetizer.payloads(for: [nal, []]) == [nal], "an empty NAL unit is skipped")
    }
}
