import NIOCore

/// A NIO decoder that hands on each whole frame of a `LengthPrefixedFramer` stream, no larger
/// than its `FrameSizeLimit` allows now.
public struct LengthPrefixedFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let framer: LengthPrefixedFramer
    public let limit: FrameSizeLimit?

    /// `limit` nil: the framer's cap, always.
    public init(framer: LengthPrefixedFramer, limit: FrameSizeLimit? = nil) {
        self.framer = framer
        self.limit = limit
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try framer.nextFrame(from: &buffer, limit: limit?.current) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// The largest frame a connection takes now (docs/SECURITY.md): what a hello and an open need
/// until the peer has proved who it is, the framer's full cap after, so a stranger cannot make a
/// server buffer a megabyte per connection before it authenticates. Shared, on the connection's
/// loop, by the decoder and the handler that knows when the peer has proved itself.
public final class FrameSizeLimit {
    /// A hello with its nonce and proof, or a session's hello and open with its ticket: a name
    /// of 256 bytes escaped in JSON still fits.
    public static let beforeAuthentication = 4 << 10

    public private(set) var current: Int

    public init(beforeAuthentication: Int = FrameSizeLimit.beforeAuthentication) {
        current = beforeAuthentication
    }

    /// The peer proved itself: the framer's own cap from now on.
    public func lift() { current = .max }
}
