import Foundation
import Media
import NIOCore
import Wire

/// Captures pictures, encodes them with VP8 (a keyframe at once when a unit asks) and sends each
/// frame as RTP packets per RFC 7741, the marker on the last, all stamped with the capture time,
/// on its own thread. A large frame goes out in bursts a couple of milliseconds apart.
final class VideoPump: @unchecked Sendable {
    // Everything but `thread` is used only by the capture thread once it starts.
    private let source: VideoSource
    private let encoder: VP8Encoder
    private var sender = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType)
    private var packetizer = VP8Packetizer()
    private let pacer: Pacer
    private let started = ContinuousClock.now
    private let baseTimestamp = UInt32.random(in: 0...UInt32.max)
    private let uplink: Uplink
    private let stats: BroadcastStats
    private var thread: CaptureThread?
    static let burst = 8

    init(source: VideoSource, encoder: VP8Encoder, uplink: Uplink, stats: BroadcastStats) {
        self.source = source
        self.encoder = encoder
        self.uplink = uplink
        self.stats = stats
        pacer = Pacer(period: .seconds(1) / source.framesPerSecond)
    }

    func start(stop: StopSignal) { thread = CaptureThread(name: "video capture", what: "video", stop: stop) { [self] in try step() } }

    func stop() async { await thread?.stop() }

    private func step() throws {
        if !source.isRealTime { pacer.waitForNextTick() }
        let picture = try source.next()
        let capturedAt = CaptureTime.now
        let elapsed = ContinuousClock.now - started
        // 90 kHz from the capture clock: 1 s / 90,000 is 11,111,111,111,111 attoseconds.
        let timestamp = baseTimestamp &+ UInt32(truncatingIfNeeded: elapsed.components.seconds * 90_000 + elapsed.components.attoseconds / 11_111_111_111_111)
        for frame in try encoder.encode(picture, keyframe: uplink.takeKeyframeRequest()) {
            let payloads = packetizer.payloads(for: frame.bytes)
            let packets = payloads.enumerated().map { index, payload in
                sender.packet(payload: payload, timestamp: timestamp, marker: index == payloads.count - 1, capturedAt: capturedAt)
            }
            for start in stride(from: 0, to: packets.count, by: Self.burst) {
                if start > 0 { Thread.sleep(forTimeInterval: 0.002) }
                uplink.send(Array(packets[start..<min(start + Self.burst, packets.count)]))
            }
            stats.update {
                $0.videoFrames += 1
                $0.videoBytes += frame.bytes.count
                if frame.isKeyframe { $0.keyframes += 1 }
            }
        }
    }
}
