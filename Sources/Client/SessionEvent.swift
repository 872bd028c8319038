import NIOCore
import Wire

/// What a client session hears from its unit.
public enum SessionEvent: Sendable {
    case message(SessionMessage)
    /// An RTP packet, and whether it came over UDP or the TCP session.
    case media(ByteBuffer, via: MediaMode)
    /// The session ended; the error says why when it was not asked for.
    case closed((any Error)?)
}
