import CDatagram
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// Reads the UDP sockets of all of a load run's viewers on one thread: every `tick` it drains each
/// socket with recvmmsg, several datagrams a system call, where an event loop would wake up and
/// read once per datagram. Nobody waits on the sockets, so the unit's sends wake no one either.
/// The kernel stamps each datagram's arrival (SO_TIMESTAMP): latency is measured to the moment it
/// reached the viewer's socket, not to when this loop came round to it.
public final class ReceiveLoop: @unchecked Sendable {
    /// How often `viewer load` reads the sockets; their receive buffers hold seconds of an audio channel.
    public static let defaultTick: Duration = .milliseconds(100)
    static let messagesPerRead = 32
    static let datagramCapacity = 2048
    static let controlCapacity = 64

    /// Sockets by descriptor; the loop holds the lock while it reads, so a socket is never closed
    /// under it.
    private let sockets = NIOLockedValueBox<[Int32: ViewerSocket]>([:])
    private let running = NIOLockedValueBox(true)
    private let finished = ConditionLock(value: false)
    /// Guarded by the `sockets` lock.
    private var droppedByClosedSockets = 0

    // Owned by the loop's thread.
    private var storage: ByteBuffer
    private let messages: UnsafeMutablePointer<avc_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let controls: UnsafeMutableRawPointer

    /// How often the sockets are read (`avbench` reads every 20 ms, as a player's audio clock would).
    public let tick: Duration

    public init(tick: Duration = ReceiveLoop.defaultTick) {
        self.tick = tick
        storage = ByteBufferAllocator().buffer(capacity: Self.messagesPerRead * Self.datagramCapacity)
        storage.writeRepeatingByte(0, count: Self.messagesPerRead * Self.datagramCapacity)
        messages = .allocate(capacity: Self.messagesPerRead)
        vectors = .allocate(capacity: Self.messagesPerRead)
        controls = .allocate(byteCount: Self.messagesPerRead * Self.controlCapacity, alignment: 16)
        for index in 0..<Self.messagesPerRead {
            messages[index] = avc_mmsghdr()
            messages[index].msg_hdr.msg_iov = vectors + index
            messages[index].msg_hdr.msg_iovlen = 1
            messages[index].msg_hdr.msg_control = controls + index * Self.controlCapacity
        }
        Thread.detachNewThread { [self] in run() }
    }

    deinit {
        messages.deallocate()
        vectors.deallocate()
        controls.deallocate()
    }

    public func add(_ socket: ViewerSocket) {
        sockets.withLockedValue { $0[socket.descriptor] = socket }
    }

    public func remove(_ socket: ViewerSocket) {
        sockets.withLockedValue { sockets in
            guard sockets.removeValue(forKey: socket.descriptor) != nil else { return }
            socket.closeDescriptor()
            droppedByClosedSockets += socket.dropped
        }
    }

    /// Datagrams the kernel dropped at the sockets this loop read, for full receive buffers.
    public var dropped: Int { sockets.withLockedValue { sockets in droppedByClosedSockets + sockets.values.reduce(0) { $0 + $1.dropped } } }

    /// Stops the thread and closes every socket still open.
    public func stop() {
        running.withLockedValue { $0 = false }
        finished.lock(whenValue: true)
        finished.unlock()
        for socket in sockets.withLockedValue({ Array($0.values) }) { remove(socket) }
    }

    private func run() {
        var next = ContinuousClock.now
        while running.withLockedValue({ $0 }) {
            next += tick
            let now = ContinuousClock.now
            if next > now { Thread.sleep(forTimeInterval: (next - now).seconds) } else { next = now }
            let readAt = ContinuousClock.now
            let wallClock = CaptureTime.now
            sockets.withLockedValue { sockets in
                for socket in sockets.values { drain(socket, readAt: readAt, wallClock: wallClock) }
            }
        }
        finished.lock()
        finished.unlock(withValue: true)
    }

    /// Reads a socket until it is empty.
    private func drain(_ socket: ViewerSocket, readAt: ContinuousClock.Instant, wallClock: CaptureTime) {
        while true {
            let count = storage.withUnsafeMutableReadableBytes { bytes in
                for index in 0..<Self.messagesPerRead {
                    vectors[index] = iovec(iov_base: bytes.baseAddress! + index * Self.datagramCapacity, iov_len: Self.datagramCapacity)
                    messages[index].msg_hdr.msg_controllen = Self.controlCapacity
                    messages[index].msg_hdr.msg_flags = 0
                }
                return Int(avc_recvmmsg(socket.descriptor, messages, UInt32(Self.messagesPerRead), 0))  // non-blocking socket
            }
            guard count > 0 else { return }
            for index in 0..<count {
                let length = Int(messages[index].msg_len)
                guard let datagram = storage.getSlice(at: index * Self.datagramCapacity, length: length) else { continue }
                var stamped: Int64 = 0
                var dropped: Int64 = 0
                avc_receive_details(&messages[index].msg_hdr, &stamped, &dropped)
                let arrival = stamped > 0 ? CaptureTime(microsecondsSinceEpoch: UInt64(stamped)) : wallClock
                // The arrival on the monotonic clock: this read's time, less how long the datagram waited.
                let waited = max(0, arrival.age(at: wallClock))
                socket.received(datagram, arrival: arrival, at: readAt - .microseconds(waited), droppedSoFar: Int(dropped))
            }
            if count < Self.messagesPerRead { return }
        }
    }
}
