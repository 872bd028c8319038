import CDatagram
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A unit's UDP media socket as the fan-out sends from it: its own descriptor (NIO reads from a
/// duplicate, so closing the channel never leaves this one pointing at another socket), and the
/// scratch space `sendmmsg` needs, made once. One loop owns each.
package final class UDPFanOutSocket {
    /// What a send did, summed over its calls.
    package struct Outcome: Equatable, Sendable {
        package var sent = 0
        package var failed = 0
        package var dropped = 0
        package var calls = 0
        /// errno of the last message the kernel refused.
        package var lastError: Int32 = 0

        package init() {}

        init(_ result: avc_fanout_result) {
            sent = result.sent
            failed = result.failed
            dropped = result.dropped
            calls = result.calls
            lastError = result.last_error
        }

        package mutating func add(_ other: Outcome) {
            sent += other.sent
            failed += other.failed
            dropped += other.dropped
            calls += other.calls
            if other.lastError != 0 { lastError = other.lastError }
        }
    }

    package let descriptor: CInt
    private let scratch: UnsafeMutableRawPointer
    private var sends: UnsafeMutablePointer<avc_send>
    private var sendCapacity = 256
    private var closed = false

    /// Opens a non-blocking UDP socket bound to `address`. With `sharedPort`, it joins a
    /// SO_REUSEPORT group: the kernel spreads arriving datagrams over the group's sockets by
    /// their addresses, and only sockets of the same user may join it.
    package init(boundTo address: SocketAddress, sharedPort: Bool, sendBuffer: Int, receiveBuffer: Int) throws {
        let family = address.protocol.rawValue
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        func option(_ name: Int32, _ value: Int, _ what: String) throws {
            var value = CInt(value)
            guard setsockopt(fd, SOL_SOCKET, name, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw IOError(errnoCode: code, reason: what)
            }
        }
        if sharedPort { try option(SO_REUSEPORT, 1, "SO_REUSEPORT") }
        try option(SO_SNDBUF, sendBuffer, "SO_SNDBUF")
        try option(SO_RCVBUF, receiveBuffer, "SO_RCVBUF")
        let bound = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw IOError(errnoCode: code, reason: "bind \(address)")
        }
        descriptor = fd
        scratch = .allocate(byteCount: avc_fanout_scratch_size(), alignment: 16)
        sends = .allocate(capacity: sendCapacity)
    }

    deinit {
        close()
        scratch.deallocate()
        sends.deallocate()
    }

    /// The port the kernel gave (for port 0).
    package var port: Int { boundPort(of: descriptor) }

    /// A second descriptor of the same socket, for NIO to own and read from.
    package func duplicate() throws -> CInt {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw IOError(errnoCode: errno, reason: "dup") }
        return copy
    }

    package func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }

    /// Sends `plan` to the receivers of loop `shard` (all of them when its lists are not split).
    package func send(_ plan: UDPSendPlan, shard: Int = 0) -> Outcome {
        guard !closed, !plan.isEmpty else { return Outcome() }
        if plan.messages.count > sendCapacity {
            sends.deallocate()
            sendCapacity = max(plan.messages.count, sendCapacity * 2)
            sends = .allocate(capacity: sendCapacity)
        }
        let count = plan.describe(into: sends, shard: shard)
        var result = avc_fanout_result()
        avc_fanout_send(descriptor, sends, count, scratch, &result)
        return Outcome(result)
    }
}

/// The local port a socket is bound to (the kernel's choice for port 0), IPv4 or IPv6; 0 when
/// it is not bound.
package func boundPort(of descriptor: CInt) -> Int {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let ok = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard ok == 0 else { return 0 }
    // sin_port and sin6_port sit at the same offset, in network order.
    return withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
}
