import NIOCore
import Wire

/// A publisher's media as a channel carries it: FLV audio and video tag bodies in (as RTMP
/// carries them), RTP packets out. H.264 goes through as it came
/// (RFC 6184, parameter sets before every IDR); AAC is made Opus in 20 ms frames. One per
/// channel: a publisher that comes back goes on in the same RTP streams, so viewers see one
/// stream with a pause, not a new one.
public final class PublisherStream {
    /// What came and what went out, for the ingest's state and its metrics.
    public struct Figures: Equatable, Sendable {
        public var videoFrames = 0
        public var keyframes = 0
        /// Opus frames made.
        public var audioFrames = 0
        /// Bytes of the publisher's tags.
        public var bytesIn: UInt64 = 0
        public var packetsOut = 0
    }

    public private(set) var figures = Figures()
    private var video = H264Ingest()
    private var audio: AACToOpus?
    private var videoSender = RTPSender(payloadType: RTPPayloadFormat.h264.payloadType)
    private var audioSender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
    private let packetizer = H264Packetizer()
    /// RTP timestamps go on from where the last publisher left them: `offset` maps the new
    /// connection's milliseconds (which start again at 0) after the last ones sent.
    private var videoOffset: UInt32 = 0
    private var lastVideoTimestamp: UInt32?
    /// The next Opus frame's timestamp (48 kHz): each frame is 960 after the one before.
    private var nextAudioTimestamp: UInt32?

    public init() {}

    /// A publisher that comes back to its channel goes on in the RTP streams of the one before
    /// (`previous`): same SSRCs, sequence numbers and timestamps carrying on after its last.
    public func goesOn(from previous: PublisherStream) {
        videoSender = previous.videoSender
        audioSender = previous.audioSender
        if let last = previous.lastVideoTimestamp { videoOffset = last &+ 3000 }  // about a frame after its last one
        nextAudioTimestamp = previous.nextAudioTimestamp
    }

    /// One video tag's body at `milliseconds`: the RTP packets of its access unit (none for the
    /// configuration). Throws for a stream no viewer could play (B-frames, not H.264).
    public func video(_ body: ByteBuffer, milliseconds: UInt32, capturedAt: CaptureTime) throws -> [ByteBuffer] {
        figures.bytesIn += UInt64(body.readableBytes)
        guard let unit = try video.take(body, milliseconds: milliseconds) else { return [] }
        figures.videoFrames += 1
        if unit.keyframe { figures.keyframes += 1 }
        let timestamp = unit.timestamp &+ videoOffset
        lastVideoTimestamp = timestamp
        let payloads = packetizer.payloads(for: unit.nalUnits)
        figures.packetsOut += payloads.count
        return payloads.enumerated().map { index, payload in
            videoSender.packet(payload: payload, timestamp: timestamp, marker: index == payloads.count - 1, capturedAt: capturedAt)
        }
    }

    /// One audio tag's body at `milliseconds`: the Opus packets it completes.
    public func audio(_ body: ByteBuffer, milliseconds: UInt32, capturedAt: CaptureTime) throws -> [ByteBuffer] {
        figures.bytesIn += UInt64(body.readableBytes)
        switch try FLVAudioTag(parsing: Array(body.readableBytesView)) {
        case .configuration(let config):
            audio = try AACToOpus(audioSpecificConfig: config)
            return []
        case .frame(let frame):
            guard let audio else { return [] }  // a frame before its configuration: nothing could decode it
            let frames = try audio.take(frame)
            var timestamp = nextAudioTimestamp ?? milliseconds &* 48
            var packets: [ByteBuffer] = []
            for opus in frames {
                packets.append(audioSender.packet(payload: opus, timestamp: timestamp, capturedAt: capturedAt))
                timestamp &+= UInt32(AACToOpus.frameSamples)
            }
            nextAudioTimestamp = timestamp
            figures.audioFrames += frames.count
            figures.packetsOut += packets.count
            return packets
        }
    }
}
