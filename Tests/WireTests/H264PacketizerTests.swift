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

/// The packetizer's payloads put back together, as the viewer decodes them.
@Suite struct H264DepacketizerTests {
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    static let idr: [UInt8] = [0x65] + (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }

    /// The RTP packets of one access unit, as the ingest sends them.
    static func packets(_ nalUnits: [[UInt8]], timestamp: UInt32, sender: inout RTPSender) -> [RTPPacket] {
        let payloads = H264Packetizer().payloads(for: nalUnits)
        return payloads.enumerated().map { index, payload in
            try! RTPPacket(parsing: sender.packet(payload: payload, timestamp: timestamp, marker: index == payloads.count - 1, capturedAt: CaptureTime(microsecondsSinceEpoch: 0)))
        }
    }

    static func annexB(_ nalUnits: [[UInt8]]) -> [UInt8] { nalUnits.flatMap { H264Depacketizer.startCode + $0 } }

    @Test func accessUnitsComeBackAsAnnexBWithTheirKeyframeFlag() {
        var sender = RTPSender(payloadType: RTPPayloadFormat.h264.payloadType)
        var depacketizer = H264Depacketizer()
        let keyframe = Self.packets([Self.sps, Self.pps, Self.idr], timestamp: 0, sender: &sender)
        #expect(keyframe.count > 3, "the IDR went in FU-A fragments")
        #expect(H264Packetizer.startsKeyframe(keyframe[0].payload.readableBytesView), "the SPS starts the keyframe")
        #expect(!H264Packetizer.startsKeyframe(keyframe[1].payload.readableBytesView))
        let outputs = keyframe.flatMap { depacketizer.append($0) }
        #expect(outputs == [.accessUnit(annexB: Self.annexB([Self.sps, Self.pps, Self.idr]), keyframe: true, timestamp: 0)])
        let inter: [UInt8] = [0x41, 9, 8, 7]
        #expect(Self.packets([inter], timestamp: 3600, sender: &sender).flatMap { depacketizer.append($0) }
            == [.accessUnit(annexB: Self.annexB([inter]), keyframe: false, timestamp: 3600)])
    }

    @Test func aLostFragmentLosesItsAccessUnitWholeAndTheNextOneStillComes() {
        var sender = RTPSender(payloadType: RTPPayloadFormat.h264.payloadType)
        var depacketizer = H264Depacketizer()
        var keyframe = Self.packets([Self.sps, Self.pps, Self.idr], timestamp: 0, sender: &sender)
        keyframe.remove(at: 3)  // a middle fragment of the IDR
        let outputs = keyframe.flatMap { depacketizer.append($0) }
        #expect(outputs.allSatisfy { if case .lost = $0 { true } else { false } } && !outputs.isEmpty, "\(outputs)")
        let next = Self.packets([Self.sps, Self.pps, Self.idr], timestamp: 3600, sender: &sender).flatMap { depacketizer.append($0) }
        #expect(next.last == .accessUnit(annexB: Self.annexB([Self.sps, Self.pps, Self.idr]), keyframe: true, timestamp: 3600))
    }

    @Test func stapAAndGarbageAreTakenApartOrRefused() throws {
        var depacketizer = H264Depacketizer()
        // STAP-A: SPS and PPS in one packet.
        let stap: [UInt8] = [24, 0, 4] + Self.sps + [0, 4] + Self.pps
        var sender = RTPSender(payloadType: RTPPayloadFormat.h264.payloadType)
        #expect(H264Packetizer.startsKeyframe(stap))
        let packet = try RTPPacket(parsing: sender.packet(payload: stap, timestamp: 0, marker: true, capturedAt: CaptureTime(microsecondsSinceEpoch: 0)))
        #expect(depacketizer.append(packet) == [.accessUnit(annexB: Self.annexB([Self.sps, Self.pps]), keyframe: false, timestamp: 0)])
        // A STAP-A whose size runs past its payload, and a reserved NAL type: lost, not handed on.
        for payload: [UInt8] in [[24, 0, 40, 1, 2], [31, 1, 2]] {
            let bad = try RTPPacket(parsing: sender.packet(payload: payload, timestamp: 90, marker: true, capturedAt: CaptureTime(microsecondsSinceEpoch: 0)))
            #expect(depacketizer.append(bad) == [.lost(timestamp: 90)])
        }
    }
}
