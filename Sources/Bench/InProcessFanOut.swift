import CDatagram
import Client
import DataPlane
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// `avbench fanout --in-process`: the data plane's UDP fan-out alone, as the unit runs it per read
/// batch (`ChannelRouter` into a `RouterOutbox`, its `UDPSendPlan` over `UDPFanOutSocket`),
/// on this thread, to N receiver sockets that another thread drains. No sessions, no SwiftNIO
/// event loop: what the library itself costs beside `udp-fanout-limit`, which sends the same mix
/// from C. The figure is this thread's own CPU per delivered gigabit, as the limit tool's is.
enum InProcessFanOut {
    struct Result {
        var cpuPerGbit: Double
        var delivered: Double
        /// How long a batch took from its first packet to the last `sendmmsg`: what the data
        /// plane adds to a packet's path (ms, p50 / p99 / max).
        var batchDelay: (p50: Double, p99: Double, max: Double)
    }

    static func run(viewers: Int, seconds: Int, audioFrameMilliseconds: Int) throws -> Result {
        let receivers = try Receivers(count: viewers)
        let channel = RoutedChannel(receivers: receivers.addresses)
        let socket = try UDPFanOutSocket(boundTo: SocketAddress(ipAddress: "127.0.0.1", port: 0), sharedPort: false, sendBuffer: 4 << 20, receiveBuffer: 1 << 20)
        var stream = SyntheticStream(keyframeInterval: 50, videoFrameSize: 4_600, audioFrameMilliseconds: audioFrameMilliseconds)

        let steps = (seconds + 1) * 50
        var sentBytes = 0
        var cpuStart = 0.0
        var delays: [Double] = []
        let start = ContinuousClock.now
        for step in 0..<steps {
            if step == 50 {
                cpuStart = threadCPU()
                receivers.count(true)
                sentBytes = 0
            }
            // One read batch: the step's packets.
            let packets = stream.next(step: step)
            let batchStart = ContinuousClock.now
            channel.route(packets)
            sentBytes += channel.plan.bytesOut
            _ = socket.send(channel.plan)
            channel.plan.reset()
            if step >= 50 {
                let took = ContinuousClock.now - batchStart
                delays.append(Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
            }
            sleep(until: start + .milliseconds(20 * (step + 1)))
        }
        let cpu = threadCPU() - cpuStart
        Thread.sleep(forTimeInterval: 0.1)
        let received = receivers.stop()
        delays.sort()
        func at(_ fraction: Double) -> Double { delays.isEmpty ? .nan : delays[min(delays.count - 1, Int(Double(delays.count) * fraction))] }
        return Result(
            cpuPerGbit: received > 0 ? cpu / (Double(received) * 8 / 1e9) : .infinity, delivered: Double(received) / Double(max(sentBytes, 1)),
            batchDelay: (at(0.5), at(0.99), delays.last ?? .nan))
    }

    /// One channel's packet path as the unit holds it (`ChannelRouter`, its feed sealed for relay
    /// children, a video frame one GSO message per receiver), its receivers added straight to the
    /// fan-out. Nobody reads the feed here, so the cost is the unit's routing alone.
    struct RoutedChannel {
        let outbox = RouterOutbox()
        let router: ChannelRouter

        init(receivers: [SocketAddress]) {
            router = ChannelRouter(
                channel: 1, feedCapacity: 1024,
                settings: ChannelRouter.Settings(
                    segmentationOffload: true, tcpBatchInterval: .milliseconds(40), sendingLoops: 1, threadTime: { TCPBatchPacing.threadTime }),
                outbox: outbox)
            for (index, address) in receivers.enumerated() {
                router.addUDP(SessionID(UInt64(index + 1)), at: address, awaitingKeyframe: false)
            }
        }

        /// One read batch into the outbox's send plan, as the unit routes it and ends the batch.
        func route(_ packets: [ByteBuffer]) {
            let now = NIODeadline.now()
            for packet in packets { _ = router.ingest(packet, now: now) }
            outbox.sendVideoBatches()
        }

        var plan: UDPSendPlan { outbox.udp }
    }

    /// Blocks this thread until `deadline` (the next 20 ms step of the stream).
    static func sleep(until deadline: ContinuousClock.Instant) {
        let left = deadline - .now
        guard left > .zero else { return }
        Thread.sleep(forTimeInterval: Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18)
    }

    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// N UDP sockets on 127.0.0.1 and a thread that drains them through epoll, counting bytes.
    final class Receivers: @unchecked Sendable {
        let addresses: [SocketAddress]
        private let descriptors: [CInt]
        private let epoll: CInt
        private let state = NIOLockedValueBox((counting: false, stopped: false, bytes: 0))
        private let done = ConditionLock(value: false)

        init(count: Int) throws {
            epoll = epoll_create1(0)
            var descriptors: [CInt] = []
            var addresses: [SocketAddress] = []
            for index in 0..<count {
                let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket (raise the open-file limit for \(count) receivers)") }
                var buffer: CInt = 256 << 10
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<CInt>.size))
                let address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
                _ = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
                addresses.append(try SocketAddress(ipAddress: "127.0.0.1", port: boundPort(of: fd)))
                var event = epoll_event()
                event.events = UInt32(EPOLLIN.rawValue)
                event.data.u32 = UInt32(index)
                epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
                descriptors.append(fd)
            }
            self.descriptors = descriptors
            self.addresses = addresses
            let thread = Thread { [self] in drain() }
            thread.start()
        }

        private func drain() {
            var events = [epoll_event](repeating: epoll_event(), count: 256)
            var bytes = [UInt8](repeating: 0, count: 65536)
            while !state.withLockedValue({ $0.stopped }) {
                let ready = epoll_wait(epoll, &events, Int32(events.count), 50)
                var got = 0
                for index in 0..<max(0, Int(ready)) {
                    let fd = descriptors[Int(events[index].data.u32)]
                    while true {
                        let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                        if n <= 0 { break }
                        got += n
                    }
                }
                if got > 0 { state.withLockedValue { if $0.counting { $0.bytes += got } } }
            }
            for fd in descriptors { Glibc.close(fd) }
            Glibc.close(epoll)
            done.lock()
            done.unlock(withValue: true)
        }

        func count(_ on: Bool) { state.withLockedValue { $0.counting = on } }

        /// Stops draining; returns the bytes counted.
        func stop() -> Int {
            let bytes = state.withLockedValue { state in
                state.counting = false
                state.stopped = true
                return state.bytes
            }
            done.lock(whenValue: true)
            done.unlock()
            return bytes
        }
    }
}
