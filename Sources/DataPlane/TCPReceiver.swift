import NIOCore
import Wire

/// A receiver of a channel over TCP, as `ChannelRouter` writes it: its place in the feed,
/// whether its connection takes more now, and where its bytes and notices go. The unit's sessions
/// are these (viewers and relay links in TCP mode); tests make their own.
package protocol TCPReceiver: AnyObject {
    var id: SessionID { get }
    /// Where it reads the feed; nil until the router starts it.
    var cursor: FeedCursor? { get set }
    /// Open and not closing: a batch writes only to these.
    var isOpen: Bool { get }
    /// Whether the connection takes more now. Asked again after every write: writes change it.
    var isWritable: Bool { get }
    /// The most one pump writes before it stops and waits for the next batch or for writability:
    /// unbounded where a write changes `isWritable` at once (the router's own loop), bounded for
    /// a connection on another loop, which turns unwritable only once that loop has written.
    var pumpBudget: Int { get }
    /// One write of `packets` framed packets, in stream order with everything before it.
    func write(_ bytes: ByteBuffer, packets: Int)
    /// What the receiver is told between its packets (lag policy), in stream order.
    func notice(_ notice: FeedCursor.Notice)
    /// Asks for the memory a write to this receiver reads, a few receivers ahead of its turn.
    func prefetchForBatch()
}
