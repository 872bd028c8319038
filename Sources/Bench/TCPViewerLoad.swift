import CDatagram
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// The fan-out benchmark's TCP viewers on plain sockets. Each opens its session as any client
/// does (hello, open with its ticket, then TCP mode); from then on one thread reads every viewer
/// every `readInterval`, as players read, and counts what came in place: no pipeline, allocation
/// or lock per packet. The load client shares the machine with the unit it measures, so it must
/// cost little (nginx-rtmp's, `rtmpload`, is one C process on epoll).
final class TCPViewerLoad: Sendable {
    private let descriptors: [CInt]
    /// Bytes each viewer's session held after `opened`: the start of its stream.
    private let openingBytes: [[UInt8]]
    private let readInterval: Duration
    /// The wall-clock time (µs) packets count from, while recording.
    private let recording = NIOLockedValueBox<UInt64?>(nil)
    private let stopping = NIOLockedValueBox(false)
    private let finished = NIOLockedValueBox<ReceiveStats.Counts?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Opens `count` sessions at `unit`, eight at a time; `ticket(index)` signs each viewer's.
    init(count: Int, unit: UnitAddress, readInterval: Duration, ticket: @Sendable (Int) -> String) throws {
        let opened = NIOLockedValueBox([(CInt, [UInt8])?](repeating: nil, count: count))
        let failure = NIOLockedValueBox<(any Error)?>(nil)
        let workers = 8
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: count, by: workers) where failure.withLockedValue({ $0 == nil }) {
                do {
                    let session = try Self.openSession(at: unit, ticket: ticket(index), name: "v\(index)")
                    opened.withLockedValue { $0[index] = session }
                } catch {
                    failure.withLockedValue { $0 = $0 ?? error }
                }
            }
        }
        let sessions = opened.withLockedValue { $0 }
        if let error = failure.withLockedValue({ $0 }) {
            for case let (fd, _)? in sessions { Glibc.close(fd) }
            throw error
        }
        descriptors = sessions.map { $0!.0 }
        openingBytes = sessions.map { $0!.1 }
        self.readInterval = readInterval
        Thread.detachNewThread { [self] in drain() }
    }

    /// Packets captured from now on count.
    func startRecording() {
        recording.withLockedValue { $0 = ReceiveStats.wallMicroseconds }
    }

    /// Stops reading and closes every session; the stream ended at `streamEnd` (µs).
    func stop(streamEnd: UInt64) -> ReceiveStats.Counts {
        stopping.withLockedValue { $0 = true }
        done.wait()
        for fd in descriptors { Glibc.close(fd) }
        var counts = finished.withLockedValue { $0 } ?? ReceiveStats.Counts(viewers: descriptors.count)
        counts.finish(streamEnd: streamEnd)
        return counts
    }

    /// The reading thread: every viewer once per interval, each read up to what its socket holds.
    private func drain() {
        let capacity = 1 << 18
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var carry = openingBytes
        var open = [Bool](repeating: true, count: descriptors.count)
        var counts = ReceiveStats.Counts(viewers: descriptors.count)
        var since: UInt64?
        let clock = ContinuousClock()
        var next = clock.now
        while !stopping.withLockedValue({ $0 }) {
            let recordingSince = recording.withLockedValue { $0 }
            if since == nil, let recordingSince { counts.start(at: recordingSince) }
            since = recordingSince
            for viewer in descriptors.indices where open[viewer] {
                open[viewer] = read(viewer, into: buffer, carry: &carry[viewer], counts: &counts, recordingSince: recordingSince)
            }
            next += readInterval
            let wait = next - clock.now
            if wait <= .zero { next = clock.now } else { Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18) }
        }
        finished.withLockedValue { $0 = counts }
        done.signal()
    }

    /// Reads what `viewer`'s socket holds and counts its media frames (RFC 4571); an incomplete
    /// frame waits in `carry` for the rest. Returns false once the unit closed the session.
    private func read(
        _ viewer: Int, into buffer: UnsafeMutableRawBufferPointer, carry: inout [UInt8], counts: inout ReceiveStats.Counts, recordingSince: UInt64?
    ) -> Bool {
        while true {
            let kept = carry.count
            if kept > 0 { carry.withUnsafeBytes { buffer.copyMemory(from: $0) } }
            // When the bytes reached the socket (the kernel's stamp of the newest segment read;
            // earlier frames of the read count as late as it), not when this thread came round.
            var stamped: Int64 = 0
            let got = avc_stream_recv_stamped(descriptors[viewer], buffer.baseAddress! + kept, buffer.count - kept, Int32(MSG_DONTWAIT), &stamped)
            if got == 0 { return false }
            if got < 0 { return errno == EAGAIN || errno == EINTR }
            let arrival = stamped > 0 ? UInt64(stamped) : ReceiveStats.wallMicroseconds
            let total = kept + got
            var offset = 0
            while total - offset >= 2 {
                let length = Int(buffer[offset]) << 8 | Int(buffer[offset + 1])
                guard total - offset - 2 >= length else { break }
                let frame = UnsafeRawBufferPointer(rebasing: buffer[offset + 2..<offset + 2 + length])
                // RTP starts with version 2; a session message is JSON and starts with `{`.
                if let recordingSince, length > 0, frame[0] & 0xC0 == 0x80 {
                    counts.record(bytes: length, capture: ReceiveStats.captureTime(of: frame), arrival: arrival, viewer: viewer, recordingSince: recordingSince)
                }
                offset += 2 + length
            }
            carry = offset == total ? [] : Array(buffer[offset..<total])
            // A full buffer may have left more behind.
            guard total == buffer.count else { return true }
        }
    }

    /// A session opened over a blocking socket: hello and open with `ticket`, until `opened`,
    /// then TCP mode. Returns the socket, non-blocking from now on, and what followed `opened`.
    private static func openSession(at unit: UnitAddress, ticket: String, name: String) throws -> (CInt, [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            var one: CInt = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
            setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, socklen_t(MemoryLayout<CInt>.size))
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let address = try SocketAddress(ipAddress: unit.host, port: unit.sessionPort)
            guard address.withSockAddr({ connect(fd, $0, socklen_t($1)) }) == 0 else { throw IOError(errnoCode: errno, reason: "connect") }
            var machine = SessionClientStateMachine(hello: Hello(peer: .viewer, name: name), ticket: ticket, name: name, settings: .init(fallBackToTCP: false))
            var out = ByteBuffer()
            for case .send(let message) in machine.connected() { try SessionFrame.message(message).write(to: &out) }
            try sendAll(fd, out)
            var received = ByteBuffer()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                while let length = received.getInteger(at: received.readerIndex, as: UInt16.self), received.readableBytes >= 2 + Int(length) {
                    received.moveReaderIndex(forwardBy: 2)
                    let frame = received.readSlice(length: Int(length))!
                    guard case .message(let message) = try SessionFrame(frame: frame) else { continue }
                    switch message {
                    case .opened:
                        var mode = ByteBuffer()
                        try SessionFrame.message(.setMode(.tcp, reason: "benchmark")).write(to: &mode)
                        try sendAll(fd, mode)
                        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                        return (fd, Array(received.readableBytesView))
                    case .error(let error): throw error
                    default: continue
                    }
                }
                let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard got > 0 else { throw IOError(errnoCode: got == 0 ? ECONNRESET : errno, reason: "session of \(name)") }
                received.writeBytes(chunk[0..<got])
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private static func sendAll(_ fd: CInt, _ bytes: ByteBuffer) throws {
        var rest = bytes
        while rest.readableBytes > 0 {
            let sent = rest.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw IOError(errnoCode: errno, reason: "send") }
            rest.moveReaderIndex(forwardBy: sent)
        }
    }
}
