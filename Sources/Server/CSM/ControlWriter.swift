import NIOCore
import Wire

extension NIOAsyncChannelOutboundWriter<ByteBuffer> {
    /// Writes one control message as a length-prefixed JSON frame.
    func write(message: some Encodable) async throws {
        var buffer = ByteBuffer()
        try LengthPrefixedFramer.control.write(bytes: ControlCoder.encode(message), to: &buffer)
        try await write(buffer)
    }
}
