/// What `VP8FrameAssembler` hands on: a whole frame, or word that a frame was lost.
public enum VP8AssemblerOutput: Equatable, Sendable {
    case frame(VP8Frame)
    /// A frame some of whose packets never came; it is dropped, never delivered corrupt.
    case incomplete(timestamp: UInt32, receivedPackets: Int)
    /// A frame that grew past the assembler's byte cap; dropped before it reaches a decoder.
    case oversized(timestamp: UInt32, bytes: Int)
}
