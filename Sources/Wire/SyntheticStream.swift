#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Wire

/// A synthetic channel for load tests and benchmarks of the server, which never decodes media:
/// Opus-shaped audio every 20 ms and VP8-shaped frames every 40 ms with a keyframe every
/// `keyframeInterval` frames, as real RTP packets carrying the capture-time extension.
public struct SyntheticStream: Sendable {
    public static let audioSSRC: UInt32 = 0xA0D1
    public static let videoSSRC: UInt32 = 0x71DE

    public var keyframeInterval = 30
    public var videoFrameSize = 3000
    /// Audio packets carry this much sound (20, 40 or 60 ms, as the broadcaster's `--audio-frame-ms`).
    public var audioFrameMilliseconds = 20
    var packetizer = VP8Packetizer(firstPictureID: 1)
    public private(set) var audioSequence: UInt16 = 0
    public private(set) var videoSequence: UInt16 = 0
    public private(set) var frameCount = 0

    public init(keyframeInterval: Int = 30, videoFrameSize: Int = 3000, audioFrameMilliseconds: Int = 20) {
        self.keyframeInterval = keyframeInterval
        self.videoFrameSize = videoFrameSize
        self.audioFrameMilliseconds = max(20, audioFrameMilliseconds / 20 * 20)
    }

    /// The packets of one 20 ms step: an audio packet when its frame is due and, every other
    /// step, a video frame.
    public mutating func next(step: Int) -> [ByteBuffer] { audioPackets(step: step) + videoPackets(step: step) }

    /// Step `step` of a stream that began at `start`, handed to `send` as a broadcaster sends it:
    /// the audio packet just before the video frame, or with an `audioOffset` (a sound clock
    /// apart from the camera's) the frame first and the audio that long into the step, made when
    /// it leaves so that its capture stamp is true. Returns what was sent.
    public mutating func send(
        step: Int, from start: ContinuousClock.Instant, audioOffset: Duration = .zero, _ send: ([ByteBuffer]) -> Void
    ) async throws -> [ByteBuffer] {
        guard audioOffset > .zero else {
            let packets = next(step: step)
            send(packets)
            return packets
        }
        let video = videoPackets(step: step)
        send(video)
        try await Task.sleep(until: start + .milliseconds(20 * step) + audioOffset, clock: .continuous)
        let audio = audioPackets(step: step)
        send(audio)
        return video + audio
    }

    /// The step's audio packet, when an audio frame begins in it.
    mutating func audioPackets(step: Int) -> [ByteBuffer] { (step * 20) % audioFrameMilliseconds == 0 ? [audio(step: step)] : [] }

    /// The step's video frame: every other step.
    mutating func videoPackets(step: Int) -> [ByteBuffer] { step % 2 == 0 ? videoFrame() : [] }

    public mutating func audio(step: Int) -> ByteBuffer {
        defer { audioSequence &+= 1 }
        return packet(payloadType: 111, ssrc: Self.audioSSRC, sequence: audioSequence, timestamp: UInt32(step * 960), marker: false, payload: [0xFC] + [UInt8](repeating: 0x55, count: 80 * audioFrameMilliseconds / 20))
    }

    public mutating func videoFrame() -> [ByteBuffer] {
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
        let capture = CaptureTime(microsecondsSinceEpoch: UInt64(Date().timeIntervalSince1970 * 1_000_000))
        return RTPPacket(
            payloadType: payloadType, marker: marker, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc,
            headerExtension: try? RTPHeaderExtension(elements: [capture.element]), payload: ByteBuffer(bytes: payload)
        ).encoded()
    }
}
