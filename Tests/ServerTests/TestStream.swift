import NIOCore
import Wire

@testable import Server

/// A synthetic channel stream: Opus-shaped audio every 20 ms and VP8 frames with a keyframe every
/// `keyframeInterval` frames, as real RTP packets with the capture-time extension.
struct TestStream {
    static let audioSSRC: UInt32 = 0xA0D1
    static let videoSSRC: UInt32 = 0x71DE

    var keyframeInterval = 30
    var videoFrameSize = 3000
    var packetizer = VP8Packetizer(firstPictureID: 1)
    private(set) var audioSequence: UInt16 = 0
    private(set) var videoSequence: UInt16 = 0
    private(set) var frameCount = 0

    init(keyframeInterval: Int = 30, videoFrameSize: Int = 3000) {
        self.keyframeInterval = keyframeInterval
        self.videoFrameSize = videoFrameSize
    }

    /// The packets of one 20 ms step: an audio packet and, every other step, a video frame.
    mutating func next(step: Int) -> [ByteBuffer] {
        var packets = [audio(step: step)]
        if step % 2 == 0 { packets += videoFrame() }
        return packets
    }

    mutating func audio(step: Int) -> ByteBuffer {
        defer { audioSequence &+= 1 }
        return packet(payloadType: 111, ssrc: Self.audioSSRC, sequence: audioSequence, timestamp: UInt32(step * 960), marker: false, payload: [0xFC] + [UInt8](repeating: 0x55, count: 80))
    }

    mutating func videoFrame() -> [ByteBuffer] {
        let keyframe = frameCount % keyframeInterval == 0
        let frame: [UInt8] = [keyframe ? 0x10 : 0x11, 0, 0] + [UInt8](repeating: UInt8(frameCount & 0xFF), count: videoFrameSize - 3)
        let payloads = packetizer.payloads(for: frame)
        defer { frameCount += 1 }
        return payloads.enumerated().map { index, payload in
            defer { videoSequence &+= 1 }
            return packet(payloadType: 96, ssrc: Self.videoSSRC, sequence: videoSequence, timestamp: UInt32(frameCount * 3000), marker: index == payloads.count - 1, payload: payload)
        }
    }

    private func packet(payloadType: UInt8, ssrc: UInt32, sequence: UInt16, timestamp: UInt32, marker: Bool, payload: [UInt8]) -> ByteBuffer {
        let capture = CaptureTime(microsecondsSinceEpoch: UInt64(Unit.systemMilliseconds()) * 1000)
        return RTPPacket(
            payloadType: payloadType, marker: marker, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc,
            headerExtension: try? RTPHeaderExtension(elements: [capture.element]), payload: ByteBuffer(bytes: payload)
        ).encoded()
    }
}

/// What a test needs to know of a received packet.
struct ReceivedPacket: Equatable, Hashable {
    var ssrc: UInt32
    var sequence: UInt16
    var startsKeyframe: Bool

    init?(_ buffer: ByteBuffer) {
        guard let packet = try? RTPPacket(parsing: buffer) else { return nil }
        ssrc = packet.ssrc
        sequence = packet.sequenceNumber
        startsKeyframe = packet.payloadType == 96 && VP8PayloadDescriptor.startsKeyframe(packet.payload.readableBytesView)
    }

    var isVideo: Bool { ssrc == TestStream.videoSSRC }
}

/// A short account of how two packet lists differ (nil when equal), so a failure stays readable.
func difference(_ got: [ReceivedPacket], _ expected: [ReceivedPacket]) -> String? {
    guard got != expected else { return nil }
    let index = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected.count)
    let gotAt = index < got.count ? "\(got[index])" : "end"
    let expectedAt = index < expected.count ? "\(expected[index])" : "end"
    return "got \(got.count) packets, expected \(expected.count); first difference at \(index): got \(gotAt), expected \(expectedAt)"
}
