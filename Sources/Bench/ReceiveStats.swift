import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// What the emulated viewers received: packets, bytes and a latency histogram (100 µs buckets up
/// to 2 s), from the capture-time extension. Shared by every viewer's event loop.
final class ReceiveStats: Sendable {
    struct Counts {
        var packets = 0
        var bytes = 0
        var latencyBuckets = [Int](repeating: 0, count: 20_001)
        /// Packets each viewer got.
        var perViewer: [Int]
        /// Each viewer's last arrival and longest wait between two packets, in microseconds.
        var lastArrival: [UInt64]
        var longestGap: [UInt64]
        /// The latest any packet arrived behind its capture, in microseconds.
        var worstLatency = 0

        init(viewers: Int) {
            perViewer = Array(repeating: 0, count: viewers)
            lastArrival = Array(repeating: 0, count: viewers)
            longestGap = Array(repeating: 0, count: viewers)
        }

        /// Every viewer's wait counts from `now` (µs).
        mutating func start(at now: UInt64) {
            for viewer in lastArrival.indices { lastArrival[viewer] = now }
        }

        /// A viewer still waiting at `streamEnd` has waited since its last packet until then.
        mutating func finish(streamEnd: UInt64) {
            for viewer in lastArrival.indices where lastArrival[viewer] < streamEnd {
                longestGap[viewer] = max(longestGap[viewer], streamEnd - lastArrival[viewer])
            }
        }

        /// A packet of `bytes` captured at `capture` reached `viewer` at `arrival` (µs); one
        /// captured before the recording started does not count.
        mutating func record(bytes: Int, capture: UInt64?, arrival now: UInt64, viewer: Int, recordingSince start: UInt64) {
            if let capture, capture < start { return }
            packets += 1
            self.bytes += bytes
            perViewer[viewer] += 1
            longestGap[viewer] = max(longestGap[viewer], now &- min(now, lastArrival[viewer]))
            lastArrival[viewer] = now
            if let capture {
                let latency = Int(max(0, Int64(bitPattern: now &- capture)))
                latencyBuckets[min(latency / 100, 20_000)] += 1
                worstLatency = max(worstLatency, latency)
            }
        }
    }

    private let counts: NIOLockedValueBox<Counts>
    /// While recording: packets captured from this wall-clock time (µs) on count, wherever they
    /// were when it started (a client with a backlog would count it twice over otherwise).
    private let recording = NIOLockedValueBox<UInt64?>(nil)

    init(viewers: Int) {
        counts = NIOLockedValueBox(Counts(viewers: viewers))
    }

    /// Recording starts: packets captured from now on count, and every viewer's wait from now.
    func startRecording() {
        let now = Self.wallMicroseconds
        recording.withLockedValue { $0 = now }
        counts.withLockedValue { $0.start(at: now) }
    }

    /// Recording stops; the stream ended at `streamEnd` (µs), so a viewer still waiting for a
    /// packet has waited since its last one until then, not through the drain that follows.
    func stopRecording(streamEnd: UInt64) {
        recording.withLockedValue { $0 = nil }
        counts.withLockedValue { $0.finish(streamEnd: streamEnd) }
    }

    static var wallMicroseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// One packet for `viewer`, arrived at `arrival` (wall-clock µs; the kernel's stamp where
    /// there is one, else now).
    func record(_ packet: ByteBuffer, viewer: Int, arrival: UInt64? = nil) {
        guard let start = recording.withLockedValue({ $0 }) else { return }
        let now = arrival ?? Self.wallMicroseconds
        let capture = Self.captureTime(of: packet)
        counts.withLockedValue { $0.record(bytes: packet.readableBytes, capture: capture, arrival: now, viewer: viewer, recordingSince: start) }
    }

    /// The capture time where the synthetic stream puts it (first one-byte element, id 1, 8 bytes),
    /// read without parsing the packet: the receiver must not be the bottleneck.
    static func captureTime(of packet: ByteBuffer) -> UInt64? {
        let start = packet.readerIndex
        guard packet.getInteger(at: start, as: UInt8.self).map({ $0 & 0x1F == 0x10 }) == true,
            packet.getInteger(at: start + 12, as: UInt16.self) == RTPHeaderExtension.oneByteProfile,
            packet.getInteger(at: start + 16, as: UInt8.self) == CaptureTime.extensionID << 4 | 7
        else { return nil }
        return packet.getInteger(at: start + 17, as: UInt64.self)
    }

    /// The same, from a packet in place: `packet` holds exactly one RTP packet.
    static func captureTime(of packet: UnsafeRawBufferPointer) -> UInt64? {
        guard packet.count >= 25, packet[0] & 0x1F == 0x10,
            UInt16(packet[12]) << 8 | UInt16(packet[13]) == RTPHeaderExtension.oneByteProfile,
            packet[16] == CaptureTime.extensionID << 4 | 7
        else { return nil }
        return UInt64(bigEndian: packet.loadUnaligned(fromByteOffset: 17, as: UInt64.self))
    }

    var snapshot: Counts { counts.withLockedValue { $0 } }

    /// The latency below which `fraction` of packets arrived, in milliseconds.
    static func percentile(_ fraction: Double, of buckets: [Int]) -> Double {
        let total = buckets.reduce(0, +)
        guard total > 0 else { return .nan }
        var seen = 0
        for (index, count) in buckets.enumerated() {
            seen += count
            if Double(seen) >= fraction * Double(total) { return Double(index + 1) / 10 }
        }
        return .infinity
    }
}
