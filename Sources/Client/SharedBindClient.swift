import NIOConcurrencyHelpers
import NIOCore
import Wire

/// A `BindClient` shared by the thread that sends keepalives and the one that reads replies.
public final class SharedBindClient: Sendable {
    private let state = NIOLockedValueBox<BindClient?>(nil)

    public init() {}

    /// Starts the exchange for a newly opened session.
    public func start(_ opened: SessionOpened) {
        state.withLockedValue { $0 = BindClient(opened) }
    }

    /// The request to send now, with the newest cookie; nil before the session opened.
    public var request: ByteBuffer? { state.withLockedValue { $0?.request } }

    /// A bind datagram from the unit: what to do about it.
    public func received(_ datagram: ByteBuffer) -> BindClient.Reaction {
        state.withLockedValue { $0?.received(datagram) } ?? .ignore
    }
}
