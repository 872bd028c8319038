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
    }

    private let counts: NIOLockedValueBox<Counts>
    /// While recording: packets captured from this wall-clock time (µs) on count, wherever they
    /// were when it started (a client with a backlog would count it twice over otherwise).
    private let recording = NIOLockedValueBox<UInt64?>(nil)

    init(viewers: Int) {
        counts = NIOLockedValueBox(
            Counts(perViewer: Array(repeating: 0, count: viewers), lastArrival: Array(repeating: 0, count: viewers), longestGap: Array(repeating: 0, count: viewers)))
    }

    /// Recording starts: packets captured from now on count, and every viewer's wait from now.
    func startRecording() {
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        recording.withLockedValue { $0 = now }
        counts.withLockedValue { counts in
            for viewer in counts.lastArrival.indices { counts.lastArrival[viewer] = now }
        }
    }

    /// Recording stops; the stream ended at `streamEnd` (µs), so a viewer still waiting for a
    /// packet has waited since its last one until then, not through the drain that follows.
    func stopRecording(streamEnd: UInt64) {
        recording.withLockedValue { $0 = nil }
        counts.withLockedValue { counts in
            for viewer in counts.lastArrival.indices where counts.lastArrival[viewer] < streamEnd {
                counts.longestGap[viewer] = max(counts.longestGap[viewer], streamEnd - counts.lastArrival[viewer])
            }
        }
    }

    static var wallMicroseconds: UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000_000) }

    func record(_ packet: ByteBuffer, viewer: Int) {
        guard let start = recording.withLockedValue({ $0 }) else { return }
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        let capture = Self.captureTime(of: packet)
        if let capture, capture < start { return }
        let latency = capture.map { Int(max(0, Int64(bitPattern: now &- $0))) }
        counts.withLockedValue { counts in
            counts.packets += 1
            counts.bytes += packet.readableBytes
            counts.perViewer[viewer] += 1
            counts.longestGap[viewer] = max(counts.longestGap[viewer], now &- min(now, counts.lastArrival[viewer]))
            counts.lastArrival[viewer] = now
            if let latency {
                counts.latencyBuckets[min(latency / 100, 20_000)] += 1
                counts.worstLatency = max(counts.worstLatency, latency)
            }
        }
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
