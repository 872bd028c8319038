import Testing

@testable import Wire

@Suite struct OpusTOCTests {
    @Test func readsTheTOCOfA20MillisecondCELTFrame() throws {
        // Config 31 (CELT fullband 20 ms), stereo, one frame: what libopus emits at 48 kHz.
        let toc = try OpusTOC(payload: [0xFC, 0x01, 0x02])
        #expect(toc.mode == .celt)
        #expect(toc.frameDurationMicroseconds == 20_000)
        #expect(toc.isStereo)
        #expect(toc.frameCount == 1)
        #expect(toc.samplesAt48kHz == 960)
    }

    @Test func readsModesAndFrameCounts() throws {
        #expect(try OpusTOC(payload: [0x08]).mode == .silk)  // config 1: SILK NB 20 ms
        #expect(try OpusTOC(payload: [0x08]).samplesAt48kHz == 960)
        #expect(try OpusTOC(payload: [0x68 | 1]).mode == .hybrid)  // config 13, two equal frames
        #expect(try OpusTOC(payload: [0x68 | 1]).frameCount == 2)
        #expect(try OpusTOC(payload: [0xFB, 0x03]).frameCount == 3)  // code 3, three frames
    }

    @Test func rejectsInvalidPayloads() {
        #expect(throws: WireError.invalidOpusPayload("the payload is empty")) { try OpusTOC(payload: []) }
        #expect(throws: WireError.self) { try OpusTOC(payload: [0xFB]) }  // code 3 without count
        #expect(throws: WireError.self) { try OpusTOC(payload: [0xFB, 0x00]) }  // zero frames
        #expect(throws: WireError.self) { try OpusTOC(payload: [0x18 | 3, 0x03]) }  // 3 x 60 ms > 120 ms
    }
}
