import DataPlane
import Glibc
import NIOCore
import NIOPosix
import Testing
import Wire

/// The UDP send plan over real sockets on loopback: what one read batch sends reaches every
/// receiver once, in order, as the datagrams the plan was given (a GSO message split back into
/// its packets), from the loop that owns the receiver; a receiver the kernel refuses costs only
/// its own message.
struct UDPSendPlanTests {
    /// Plain UDP sockets on 127.0.0.1 that wait at most a second for a datagram.
    final class Receivers {
        let descriptors: [CInt]
        let addresses: [SocketAddress]

        init(_ count: Int) throws {
            var descriptors: [CInt] = []
            var addresses: [SocketAddress] = []
            for _ in 0..<count {
                let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                var timeout = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer: CInt = 1 << 20
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<CInt>.size))
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
                _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
                descriptors.append(fd)
                addresses.append(try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port))))
            }
            self.descriptors = descriptors
            self.addresses = addresses
        }

        deinit { for fd in descriptors { Glibc.close(fd) } }

        /// The next datagram of receiver `index` and the port it came from; nil after a second.
        func receive(_ index: Int) -> (bytes: [UInt8], fromPort: Int)? {
            var bytes = [UInt8](repeating: 0, count: 65536)
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = bytes.withUnsafeMutableBytes { buffer in
                withUnsafeMutablePointer(to: &source) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptors[index], buffer.baseAddress, buffer.count, 0, $0, &length) }
                }
            }
            guard count >= 0 else { return nil }
            return (Array(bytes[0..<count]), Int(UInt16(bigEndian: source.sin_port)))
        }
    }

    /// A datagram of `size` bytes, each `tag`.
    static func datagram(_ tag: UInt8, _ size: Int) -> ByteBuffer { ByteBuffer(bytes: [UInt8](repeating: tag, count: size)) }

    static func socket(port: Int = 0, shared: Bool = false) throws -> UDPFanOutSocket {
        try UDPFanOutSocket(boundTo: SocketAddress(ipAddress: "127.0.0.1", port: port), sharedPort: shared, sendBuffer: 4 << 20, receiveBuffer: 1 << 20)
    }

    @Test func everyReceiverGetsEveryMessageOnceInOrderInFewCalls() throws {
        let receivers = try Receivers(400)
        let everyone = PeerList(receivers.addresses)
        let firstTen = PeerList(Array(receivers.addresses.prefix(10)))
        let plan = UDPSendPlan()
        plan.add(Self.datagram(1, 120), to: everyone)
        let gso = System.supportsUDPSegmentationOffload
        var frame = ByteBuffer()
        for (tag, size) in [(2, 1200), (3, 1200), (4, 1200), (5, 700)] as [(UInt8, Int)] { frame.writeBytes([UInt8](repeating: tag, count: size)) }
        if gso { plan.add(frame, segments: 4, segmentSize: 1200, to: everyone) }
        plan.add(Self.datagram(6, 120), to: everyone)
        plan.add(Self.datagram(7, 80), to: firstTen)
        let expected: [(UInt8, Int)] = (gso ? [(1, 120), (2, 1200), (3, 1200), (4, 1200), (5, 700), (6, 120)] : [(1, 120), (6, 120)])
        #expect(plan.datagrams == receivers.addresses.count * (gso ? 6 : 2) + 10)

        let sender = try Self.socket()
        let outcome = sender.send(plan)
        // 400 x 3 + 10 messages: two sendmmsg calls of at most 1024.
        #expect(outcome.sent == 400 * (gso ? 3 : 2) + 10 && outcome.failed == 0 && outcome.dropped == 0, "\(outcome)")
        #expect(outcome.calls == (gso ? 2 : 1), "\(outcome)")
        for index in receivers.addresses.indices {
            var got: [(UInt8, Int)] = []
            let count = expected.count + (index < 10 ? 1 : 0)
            for _ in 0..<count {
                guard let datagram = receivers.receive(index) else { break }
                #expect(datagram.fromPort == sender.port)
                #expect(Set(datagram.bytes).count == 1)
                got.append((datagram.bytes[0], datagram.bytes.count))
            }
            let want = expected + (index < 10 ? [(7, 80)] : [])
            #expect(got.map(\.0) == want.map(\.0) && got.map(\.1) == want.map(\.1), "receiver \(index)")
        }
    }

    @Test func eachLoopSendsToItsOwnReceiversFromTheSharedPort() throws {
        let receivers = try Receivers(30)
        var fanOut = ChannelFanOut(shards: 3)
        for (index, address) in receivers.addresses.enumerated() { fanOut.addUDP(SessionID(UInt64(index + 1)), at: address, awaitingKeyframe: false) }
        let plan = UDPSendPlan()
        plan.add(Self.datagram(9, 200), to: fanOut.flowingPeers)
        #expect(plan.shardsInUse(of: 3) == [0, 1, 2])
        let first = try Self.socket(shared: true)
        let sockets = [first, try Self.socket(port: first.port, shared: true), try Self.socket(port: first.port, shared: true)]
        var sent = 0
        for (shard, socket) in sockets.enumerated() { sent += socket.send(plan, shard: shard).sent }
        #expect(sent == 30)
        for index in receivers.addresses.indices {
            #expect(receivers.receive(index)?.fromPort == first.port, "receiver \(index)")
        }
        // Each got it once: nothing more is waiting.
        let again = receivers.receive(0)
        #expect(again == nil)
    }

    @Test func aReceiverTheKernelRefusesCostsOnlyItsOwnMessage() throws {
        let receivers = try Receivers(5)
        // An IPv6 address on an IPv4 socket: the kernel refuses that one message.
        var addresses = receivers.addresses
        addresses.insert(try SocketAddress(ipAddress: "::1", port: 9), at: 2)
        let plan = UDPSendPlan()
        plan.add(Self.datagram(3, 100), to: PeerList(addresses))
        let outcome = try Self.socket().send(plan)
        #expect(outcome.sent == 5 && outcome.failed == 1 && outcome.lastError != 0, "\(outcome)")
        for index in receivers.addresses.indices { #expect(receivers.receive(index)?.bytes.count == 100) }
    }

    @Test func aSecondSocketCannotTakeTheUnitsPortUnlessItSharesIt() throws {
        let unit = try Self.socket()
        #expect(throws: IOError.self) { _ = try Self.socket(port: unit.port, shared: true) }
        let shared = try Self.socket(shared: true)
        #expect(throws: IOError.self) { _ = try Self.socket(port: shared.port, shared: false) }
    }
}
