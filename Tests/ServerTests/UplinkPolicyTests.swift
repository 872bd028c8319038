import DataPlane
import Client
import NIOCore
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UplinkPolicyTests {
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

    @Test func aUnitDropsAndCountsWhatTheBroadcasterMayNotSend() async throws {
        let harness = try await UnitHarness { $0.maxPacketBytes = 1300 }
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        var wrongType = RTPSender(payloadType: 100, firstSequenceNumber: 0)
        var big = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType, firstSequenceNumber: 500)
        for index in 0..<20 {
            broadcaster.sendMedia([wrongType.packet(payload: [1, 2], timestamp: UInt32(index), capturedAt: .now)], via: .udp)
            broadcaster.sendMedia([big.packet(payload: [UInt8](repeating: 3, count: 1400), timestamp: UInt32(index), capturedAt: .now)], via: .tcp)
        }
        var stream = TestStream()
        let sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<20)
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        let counters = try await harness.unit.inspect { $0.counters }
        #expect(counters.droppedPayloadType == 20 && counters.droppedOversize == 20)
        try await harness.shutdown()
    }
}
