import DataPlane
import NIOCore
import Testing
import Wire

struct UplinkPolicyTests {
    @Test func onlyTheChannelsPayloadTypesUnderTheCapsGetThrough() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var policy = UplinkPolicy(maxPacketBytes: 1500, maxBitsPerSecond: 80_000, now: start)  // 10 kB/s
        var sender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType, firstSequenceNumber: 0)
        let audio = sender.packet(payload: [UInt8](repeating: 1, count: 900), timestamp: 0, capturedAt: .now)
        var other = RTPSender(payloadType: 100, firstSequenceNumber: 0)
        #expect(policy.check(other.packet(payload: [1], timestamp: 0, capturedAt: .now), now: start) == .wrongPayloadType)
        #expect(policy.check(sender.packet(payload: [UInt8](repeating: 1, count: 1600), timestamp: 0, capturedAt: .now), now: start) == .tooLarge)
        // One second's worth (10 kB) at once, then the excess waits for the bucket to refill.
        let accepted = (0..<20).filter { _ in policy.check(audio, now: start) == .accept }.count
        #expect(accepted == 10_000 / audio.readableBytes)
        #expect(policy.check(audio, now: start) == .overBitrate)
        #expect(policy.check(audio, now: start + .milliseconds(200)) == .accept)
    }
}
