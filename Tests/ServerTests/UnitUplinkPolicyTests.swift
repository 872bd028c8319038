import Client
import TestSupport
import Testing
import Wire

@testable import Server

/// The uplink policy (`UplinkPolicy`, tested alone in DataPlaneTests) as a unit applies it.
@Suite(.serialized) struct UnitUplinkPolicyTests {
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
