import NIOCore
import TestSupport
import Testing

@testable import Wire

@Suite struct VP8Tests {
    /// A VP8 keyframe starts with a frame tag whose P bit is 0, then the start code 9d 01 2a.
    static func frame(size: Int, keyframe: Bool, seed: UInt8 = 1) -> [UInt8] {
        let tag: [UInt8] = [keyframe ? 0x10 : 0x11, 0x02, 0x00, 0x9d, 0x01, 0x2a]
        return tag + (0..<max(0, size - tag.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// RTP packets of `frames`, one timestamp per frame, marker on each frame's last packet.
    static func packets(of frames: [[UInt8]], firstSequence: UInt16 = 65530) -> [RTPPacket] {
        var packetizer = VP8Packetizer(firstPictureID: 0x7FFE)
        var sequence = firstSequence
        var result: [RTPPacket] = []
        for (index, frame) in frames.enumerated() {
            let payloads = packetizer.payloads(for: frame)
            for (position, payload) in payloads.enumerated() {
                result.append(RTPPacket(
                    payloadType: 96, marker: position == payloads.count - 1, sequenceNumber: sequence,
                    timestamp: (UInt32.max - 3000) &+ UInt32(index) &* 3000, ssrc: 7, payload: ByteBuffer(bytes: payload)))
                sequence &+= 1
            }
        }
        return result
    }

    @Test func framesOverTheByteCapAreDroppedNotDelivered() throws {
        var assembler = VP8FrameAssembler(maxFrameBytes: 20_000)
        var outputs: [VP8AssemblerOutput] = []
        for packet in Self.packets(of: [Self.frame(size: 50_000, keyframe: true), Self.frame(size: 5_000, keyframe: true, seed: 2)]) {
            outputs += try assembler.append(packet)
        }
        #expect(outputs.contains { if case .oversized(_, let bytes) = $0 { bytes > 20_000 } else { false } })
        let delivered = outputs.compactMap { if case .frame(let frame) = $0 { frame.data.count } else { nil } }
        #expect(delivered == [5_000])
    }

    @Test func descriptorRoundTripsEveryOptionalField() throws {
        let full = VP8PayloadDescriptor(
            isNonReference: true, isStartOfPartition: true, partitionIndex: 3, pictureID: 0x1234, tl0PictureIndex: 9,
            temporalLayer: (2, true), keyIndex: 17)
        let (parsed, size) = try VP8PayloadDescriptor.parse(full.bytes)
        #expect(size == 6)
        #expect(parsed == full)
        #expect(parsed.keyIndex == 17)
        #expect(parsed.temporalLayer?.index == 2)

        let short = VP8PayloadDescriptor(isStartOfPartition: false, pictureID: 0x55, hasLongPictureID: false)
        #expect(short.bytes == [0x80, 0x80, 0x55])
        #expect(try VP8PayloadDescriptor.parse(short.bytes).descriptor.pictureID == 0x55)
        #expect(VP8PayloadDescriptor(isStartOfPartition: true).bytes == [0x10])
    }

    @Test func descriptorRejectsTruncation() {
        let full = VP8PayloadDescriptor(isStartOfPartition: true, pictureID: 0x1234, tl0PictureIndex: 9, keyIndex: 1).bytes
        for length in 0..<full.count {
            #expect(throws: WireError.self) { try VP8PayloadDescriptor.parse(full.prefix(length)) }
        }
    }

    @Test func tellsAKeyframeFromItsPayloadHeader() {
        var packetizer = VP8Packetizer()
        let key = packetizer.payloads(for: Self.frame(size: 3000, keyframe: true))
        let delta = packetizer.payloads(for: Self.frame(size: 3000, keyframe: false))
        #expect(VP8PayloadDescriptor.startsKeyframe(key[0]))
        #expect(!VP8PayloadDescriptor.startsKeyframe(key[1]))  // not the start of the frame
        #expect(!VP8PayloadDescriptor.startsKeyframe(delta[0]))
        #expect(!VP8PayloadDescriptor.startsKeyframe([0x10]))  // no payload header
    }

    @Test func packetsStayWithin1200BytesAndPictureIDsWrap() {
        var packetizer = VP8Packetizer(firstPictureID: 0x7FFF)
        let payloads = packetizer.payloads(for: Self.frame(size: 10_000, keyframe: true))
        #expect(payloads.count == 9)
        #expect(payloads.allSatisfy { RTPPacket.fixedHeaderSize + 16 + $0.count <= 1200 })
        #expect(packetizer.nextPictureID == 0)
        var fresh = VP8Packetizer()
        #expect(fresh.payloads(for: []).count == 1)
    }

    @Test func reassemblesInOrderOutOfOrderAndAcrossWraps() throws {
        let frames = [Self.frame(size: 5000, keyframe: true), Self.frame(size: 700, keyframe: false, seed: 2), Self.frame(size: 2500, keyframe: false, seed: 3)]
        let packets = Self.packets(of: frames)
        var orders = [packets, packets.reversed()]
        // Shuffle inside each frame only: reordering within a frame must not lose it.
        var generator = SeededGenerator(seed: 42)
        orders.append(Dictionary(grouping: packets, by: \.timestamp).sorted { $0.key &- packets[0].timestamp < $1.key &- packets[0].timestamp }
            .flatMap { $0.value.shuffled(using: &generator) })
        for (index, order) in orders.enumerated() {
            var assembler = VP8FrameAssembler()
            let output = try order.flatMap { try assembler.append($0) }
            let delivered = output.compactMap { if case .frame(let frame) = $0 { frame.data } else { nil } }
            if index == 1 {
                // Fully reversed: the newest frame completes first, so the older ones are late.
                #expect(delivered == [frames[2]])
            } else {
                #expect(delivered == frames)
            }
        }
    }

    @Test func aMissingPacketMakesTheFrameIncompleteNeverCorrupt() throws {
        let frames = [Self.frame(size: 5000, keyframe: true), Self.frame(size: 2000, keyframe: false)]
        var packets = Self.packets(of: frames)
        packets.remove(at: 2)  // inside the first frame
        var assembler = VP8FrameAssembler()
        let output = try packets.flatMap { try assembler.append($0) }
        #expect(output.count == 2)
        guard case .incomplete(let timestamp, let received) = output[0] else {
            Issue.record("first output should report the broken frame: \(output)")
            return
        }
        #expect(timestamp == packets[0].timestamp)
        #expect(received == 4)
        #expect(output[1] == .frame(VP8Frame(timestamp: packets.last!.timestamp, data: frames[1], pictureID: 0x7FFF)))
        #expect(try #require(output.last).isDeliveredKeyframe == false)
    }

    @Test func pendingFramesAreBounded() throws {
        var assembler = VP8FrameAssembler(maxPendingFrames: 2)
        var reported = 0
        for index in 0..<10 {
            // Only the first packet of each frame: none completes.
            let packet = Self.packets(of: [Self.frame(size: 3000, keyframe: true)])[0]
            var shifted = packet
            shifted.timestamp = UInt32(index) * 3000
            reported += try assembler.append(shifted).count
        }
        #expect(reported == 8)
    }

    @Test func rejectsAPayloadWithoutDescriptor() {
        var assembler = VP8FrameAssembler()
        #expect(throws: WireError.self) {
            try assembler.append(RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: ByteBuffer()))
        }
    }
}

extension VP8AssemblerOutput {
    fileprivate var isDeliveredKeyframe: Bool {
        if case .frame(let frame) = self { frame.isKeyframe } else { false }
    }
}
