import Media
import Wire

/// Video packets to pictures, VP8 or H.264 as the channel carries: frames are assembled from
/// their packets, and after a loss nothing is decoded until the next keyframe (a picture built on
/// a missing one would be garbage).
struct VideoPlayout {
    private let maxFrameBytes: Int
    private var assembler: VP8FrameAssembler
    private let decoder: VP8Decoder
    private var depacketizer: H264Depacketizer
    /// Made at the first H.264 packet: a VP8 channel never opens FFmpeg's decoder.
    private var h264: H264Decoder?
    private var awaitingKeyframe = true
    private(set) var framesDecoded = 0
    private(set) var framesSkipped = 0

    /// Frames over `maxFrameBytes` are dropped before the decoder sees them.
    init(maxFrameBytes: Int = VP8FrameAssembler.defaultMaxFrameBytes) throws {
        self.maxFrameBytes = maxFrameBytes
        assembler = VP8FrameAssembler(maxFrameBytes: maxFrameBytes)
        depacketizer = H264Depacketizer(maxBytes: maxFrameBytes)
        decoder = try VP8Decoder()
    }

    /// The newest picture this packet completes, if any.
    mutating func receive(_ packet: RTPPacket) -> I420Frame? {
        switch VideoCodec(payloadType: packet.payloadType) {
        case .vp8?: receiveVP8(packet)
        case .h264?: receiveH264(packet)
        case nil: nil
        }
    }

    private mutating func receiveVP8(_ packet: RTPPacket) -> I420Frame? {
        var picture: I420Frame?
        let decoder = decoder
        for output in (try? assembler.append(packet)) ?? [] {
            guard case .frame(let frame) = output else {
                lost()
                continue
            }
            picture = decode(keyframe: frame.isKeyframe) { try decoder.decode(frame.data) } ?? picture
        }
        return picture
    }

    private mutating func receiveH264(_ packet: RTPPacket) -> I420Frame? {
        var picture: I420Frame?
        for output in depacketizer.append(packet) {
            guard case .accessUnit(let annexB, let keyframe, _) = output else {
                lost()
                continue
            }
            if h264 == nil { h264 = try? H264Decoder() }
            guard let h264 else { return nil }
            picture = decode(keyframe: keyframe) { try h264.decode(annexB) } ?? picture
        }
        return picture
    }

    /// Decodes a whole frame unless it must wait for a keyframe; a decoder error waits for one.
    private mutating func decode(keyframe: Bool, _ body: () throws -> I420Frame?) -> I420Frame? {
        if awaitingKeyframe && !keyframe {
            framesSkipped += 1
            return nil
        }
        awaitingKeyframe = false
        do {
            guard let decoded = try body() else { return nil }
            framesDecoded += 1
            return decoded
        } catch {
            awaitingKeyframe = true
            return nil
        }
    }

    private mutating func lost() {
        awaitingKeyframe = true
        framesSkipped += 1
    }

    /// After a switch or re-join the stream restarts at a keyframe.
    mutating func restart() {
        assembler = VP8FrameAssembler(maxFrameBytes: maxFrameBytes)
        depacketizer = H264Depacketizer(maxBytes: maxFrameBytes)
        awaitingKeyframe = true
    }
}
