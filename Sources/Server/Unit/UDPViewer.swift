import NIOCore
import Wire

/// A UDP receiver in a channel's fan-out list: a viewer, or a relay link to another unit.
struct UDPViewer {
    let session: SessionID
    let address: SocketAddress
    /// Video waits for a keyframe (a new viewer whose fast start held none).
    var awaitingKeyframe: Bool
}
