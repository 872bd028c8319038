import NIOCore
import Wire

/// Where a session's media goes instead of its event stream, called on the session's event loop
/// for every packet: what load tests and benchmarks use, as they count and never decode.
public typealias MediaSink = @Sendable (ByteBuffer, MediaMode) -> Void
