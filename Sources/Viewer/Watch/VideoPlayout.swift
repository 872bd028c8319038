import Media
import Wire

/// VP8 packets to pictures: frames are assembled from their packets, and after a loss nothing is
/// decoded until the next keyframe (a picture built on a missing one would be garbage).
struct VideoPlayout {
    private let maxFrameBytes: Int
    private var assembler: VP8FrameAssembler
    private let decoder: VP8Decoder
    private var awaitingKeyframe = true
    private(set) var framesDecoded = 0
    private(set) var framesSkipped = 0

    /// Frames over `maxFrameBytes` are dropped before the decoder sees them.
    init(maxFrameBytes: Int = VP8FrameAssembler.defaultMaxFrameBytes) throws {
        self.maxFrameBytes = maxFrameBytes
        assembler = VP8FrameAssembler(maxFrameBytes: maxFrameBytes)
        decoder = try VP8Decoder()
    }

    /// The newest picture this packet completes, if any.
    mutating func receive(_ packet: RTPPacket) -> I420Frame? {
        var picture: I420Frame?
        for output in (try? assembler.append(packet)) ?? [] {
            switch output {
            case .frame(let frame):
                if awaitingKeyframe && !frame.isKeyframe {
                    framesSkipped += 1
                    continue
                }
                awaitingKeyframe = false
                do {
                    if let decoded = try decoder.decode(frame.data) {
                        picture = decoded
                        framesDecoded += 1
                    }
                } catch {
                    awaitingKeyframe = true
                }
            default:
                awaitingKeyframe = true
                framesSkipped += 1
            }
        }
        return picture
    }

    /// After a switch or re-join the stream restarts at a keyframe.
    mutating func restart() {
        assembler = VP8FrameAssembler(maxFrameBytes: maxFrameBytes)
        awaitingKeyframe = true
    }
}
