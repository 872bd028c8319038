import CDatagram
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// An emulated client's own UDP socket (a viewer's, or a benchmark broadcaster's uplink),
/// connected to its unit's media port so the kernel delivers nothing from anyone else.
/// `ReceiveLoop` reads it; the kernel stamps each datagram's arrival.
public final class ViewerSocket: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        public var description: String { "\(call) failed for a viewer's UDP socket: \(String(cString: strerror(code))); check the open-file limit and the unit's address" }
    }

    public let descriptor: Int32
    /// The bind exchange of the session this socket proves.
    public let binding = SharedBindClient()
    /// One element per reply that says the socket is bound.
    public let bindReplies: AsyncStream<Void>
    private let bindReplied: AsyncStream<Void>.Continuation
    private let onMedia: @Sendable (ByteBuffer, CaptureTime, ContinuousClock.Instant) -> Void
    private let droppedSoFar = NIOLockedValueBox(0)

    /// Datagrams the kernel dropped because this socket's receive buffer was full.
    public var dropped: Int { droppedSoFar.withLockedValue { $0 } }

    /// `onMedia` gets each RTP datagram with its arrival time, on the receive loop's thread.
    public init(unit: SocketAddress, onMedia: @escaping @Sendable (ByteBuffer, CaptureTime, ContinuousClock.Instant) -> Void) throws {
        let family = unit.protocol == .inet6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        var on: Int32 = 1
        // Arrival times, and a count of what a full buffer dropped, come with every datagram.
        let connected = unit.withSockAddr { address, size in
            setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMP, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
                && setsockopt(descriptor, SOL_SOCKET, SO_RXQ_OVFL, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
                && connect(descriptor, address, socklen_t(size)) == 0
        }
        guard connected else {
            let code = errno
            close(descriptor)
            throw Failure(call: "setsockopt or connect", code: code)
        }
        self.descriptor = descriptor
        self.onMedia = onMedia
        (bindReplies, bindReplied) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Sends the bind request with the newest cookie (also the keepalive).
    public func sendBind() {
        if let request = binding.request { send(request) }
    }

    /// Sends one datagram to the unit; a full buffer drops it, as UDP may.
    public func send(_ datagram: ByteBuffer) {
        _ = datagram.withUnsafeReadableBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// A datagram the receive loop read, with the kernel's arrival time and drop count.
    func received(_ datagram: ByteBuffer, arrival: CaptureTime, at instant: ContinuousClock.Instant, droppedSoFar: Int) {
        if droppedSoFar > 0 { self.droppedSoFar.withLockedValue { $0 = max($0, droppedSoFar) } }
        guard let first = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self) else { return }
        if BindDatagram.isBindDatagram(firstByte: first) {
            switch binding.received(datagram) {
            case .sendAgain: sendBind()
            case .bound: bindReplied.yield()
            case .ignore: break
            }
        } else {
            onMedia(datagram, arrival, instant)
        }
    }

    /// Called by the receive loop, which never reads it again.
    public func closeDescriptor() {
        bindReplied.finish()
        close(descriptor)
    }
}
