import NIOCore
import Wire

extension NIOAsyncChannelOutboundWriter<ByteBuffer> {
    /// Writes one control message as a length-prefixed JSON frame.
    func write(message: some Encodable) async throws {
        try await write(ControlCoder.frame(message))
    }
}
