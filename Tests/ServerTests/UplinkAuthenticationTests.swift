import Client
import DataPlane
import NIOCore
import TestSupport
import Testing
import Wire

@testable import Server

/// Attack 3 of the second round: RTP sent from the broadcaster's own source address (as a raw
/// socket spoofs it: here the broadcaster's socket itself sends the forgeries) without the
/// session's proof, replayed, or of another SSRC.
@Suite struct UplinkAuthenticationTests {
    @Test func forgedReplayedAndForeignPacketsFromTheBroadcastersAddressReachNoViewerAndSpendNoBudget() async throws {
        // 2 Mbit/s for the channel: the forgeries below would spend it many times over.
        let harness = try await UnitHarness { $0.maxChannelBitrate = 2_000_000 }
        let broadcaster = try await harness.connect(.broadcaster)
        let viewer = EventRecorder(try await harness.connect(.viewer))
        var stream = TestStream()
        var forger = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType, ssrc: SyntheticStream.videoSSRC, firstSequenceNumber: 30_000)
        var foreign = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType, ssrc: 0xBAD, firstSequenceNumber: 0)
        let tag = try #require(broadcaster.opened.uplinkKey.flatMap(UplinkTag.init(text:)))
        var sent: [ReceivedPacket] = []
        var forged = 0
        for step in 0..<150 {
            let packets = stream.next(step: step)
            sent += packets.compactMap(ReceivedPacket.init)
            broadcaster.sendMedia(packets, via: .udp)
            // Untagged and wrongly tagged forgeries of the channel's own video SSRC, 1200 bytes each
            // (about 10 Mbit/s in all); the honest packets again (a replay of what was just sent,
            // tags and all); a well-tagged packet of a stream the channel does not have.
            for _ in 0..<20 {
                let fake = forger.packet(payload: [UInt8](repeating: 0x42, count: 1200), timestamp: 0, capturedAt: .now)
                broadcaster.sendRawDatagram(fake)
                var wrong = fake
                wrong.writeBytes([UInt8](repeating: 7, count: UplinkTag.size))
                broadcaster.sendRawDatagram(wrong)
                forged += 2
            }
            for packet in packets { broadcaster.sendRawDatagram(tag.tagged(packet)) }
            broadcaster.sendRawDatagram(tag.tagged(foreign.packet(payload: [1, 2, 3], timestamp: 0, capturedAt: .now)))
            forged += packets.count + 1
            if step % 4 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        try await Task.sleep(for: .milliseconds(200))
        let got = viewer.recorded.packets.map(\.packet)
        let counters = try await harness.unit.inspect { $0.counters }
        print("forged, replayed and foreign uplink packets from the broadcaster's address: \(forged) sent, \(counters.droppedForgedUplink) dropped as such, \(got.count - sent.count) reached the viewer; honest \(got.count) of \(sent.count), \(counters.droppedOverBitrate) over the budget")
        #expect(difference(got, sent) == nil, "the viewer gets the honest stream exactly: no forgery, no replay, nothing lost")
        #expect(counters.droppedForgedUplink == UInt64(forged))
        #expect(counters.droppedOverBitrate == 0, "forgeries spend none of the channel's budget")
        try await harness.shutdown()
    }

    @Test func aTagProvesThePacketAndNothingElse() {
        let tag = UplinkTag.random()
        var sender = RTPSender(payloadType: 111, firstSequenceNumber: 1)
        let packet = sender.packet(payload: [1, 2, 3, 4], timestamp: 960, capturedAt: .now)
        let tagged = tag.tagged(packet)
        #expect(tagged.readableBytes == packet.readableBytes + UplinkTag.size)
        #expect(tag.verified(tagged) == packet)
        #expect(UplinkTag.random().verified(tagged) == nil, "another session's key")
        var altered = tagged
        altered.setInteger(UInt8(9), at: altered.readerIndex + 12)
        #expect(tag.verified(altered) == nil && tag.verified(packet) == nil && tag.verified(ByteBuffer(bytes: [1, 2])) == nil)
        #expect(UplinkTag(text: tag.text) == tag && UplinkTag(text: "short") == nil)
    }

    @Test func theGuardPinsEachPayloadTypesSourceAndRefusesReplays() {
        var guardian = UplinkGuard()
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 100) == .accept)
        #expect(guardian.check(ssrc: 2, payloadType: 96, sequence: 101) == .otherSource)
        #expect(guardian.check(ssrc: 3, payloadType: 111, sequence: 5) == .accept)
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 100) == .replay)
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 99) == .accept, "late, not seen: taken")
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 99) == .replay)
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 300) == .accept)
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 200) == .replay, "older than the window")
        #expect(guardian.check(ssrc: 1, payloadType: 96, sequence: 20_000) == .accept, "a jump ahead")
        guardian.reset()
        #expect(guardian.check(ssrc: 2, payloadType: 96, sequence: 0) == .accept, "a new broadcaster session")
        var window = ReplayWindow()
        let acrossTheWrap = [65534, 65535, 0, 1, 65535].map { window.accept(UInt16($0)) }
        #expect(acrossTheWrap == [true, true, true, true, false], "across the wrap")
        let halfway = window.accept(1 &+ 32768)
        #expect(!halfway, "half the sequence space away counts as old, and does not trap (the fuzzer found it did)")
    }
}

/// The same for a relay link: packets that arrive "from" the parent's media address without the
/// parent's seal, or again, never reach the child's feed.
@Suite(.serialized) struct RelaySealTests {
    @Test func forgedAndReplayedPacketsFromTheParentsAddressReachNoViewerOfTheChild() async throws {
        let harness = try await UnitHarness(units: 2)
        let broadcaster = try await harness.connect(.broadcaster, group: 2, on: 0, name: "host")
        try await UnitRelayTests.link(harness, child: 1, group: 20, parent: 0, parentGroup: 2)
        let viewer = EventRecorder(try await harness.connect(.viewer, group: 20, on: 1, name: "bob"))
        #expect(try await eventually { try await UnitRelayTests.linkIsUp(harness, 1) })
        let capture = Capture()
        var stream = TestStream()
        var sent: [ReceivedPacket] = []
        var forger = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType, ssrc: SyntheticStream.videoSSRC, firstSequenceNumber: 40_000)
        for step in 0..<60 {
            let packets = stream.next(step: step)
            sent += packets.compactMap(ReceivedPacket.init)
            broadcaster.sendMedia(packets, via: .udp)
            // What an attacker spoofing the parent's address sends to the child's relay socket:
            // unsealed packets, a wrongly sealed one, and (once the child has one) a sealed packet
            // it already took, recorded off the wire.
            let fake = forger.packet(payload: [UInt8](repeating: 0x42, count: 800), timestamp: 0, capturedAt: .now)
            var wronglySealed = fake
            _ = UplinkTag.random().seal(&wronglySealed, packetAt: wronglySealed.readerIndex)
            let forgeries = [fake, wronglySealed] + (capture.last.map { [$0] } ?? [])
            try await harness.units[1].inspect { unit in
                guard let link = unit.channels[7]?.parentLink, let from = link.parentMediaAddress else { return }
                for datagram in forgeries { link.datagram(AddressedEnvelope(remoteAddress: from, data: datagram)) }
            }
            if step % 4 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            // A sealed packet as the parent sends it, to replay at the next step.
            capture.last = try await harness.units[0].inspect { unit in unit.channels[7].flatMap { $0.feed.entry(at: $0.feed.writePosition &- 1)?.datagram } }
        }
        #expect(await viewer.wait { $0.packets.count >= sent.count })
        try await Task.sleep(for: .milliseconds(200))
        let got = viewer.recorded.packets.map(\.packet)
        let dropped = try await harness.units[1].inspect { $0.counters.droppedForgedUplink }
        print("relay child: forged and replayed packets from its parent's address dropped: \(dropped); its viewer got \(got.count) of \(sent.count), none forged")
        #expect(difference(got, sent) == nil)
        #expect(dropped >= 60 * 2)
        try await harness.shutdown()
    }

    final class Capture: @unchecked Sendable {
        var last: ByteBuffer?
    }
}
