import Foundation
import Media
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// Captures pictures, encodes them with VP8 (a keyframe at once when a unit asks) and sends each
/// frame as RTP packets per RFC 7741, the marker on the last, all stamped with the capture time.
/// A large frame goes out in bursts a couple of milliseconds apart rather than all at once.
final class VideoPump: @unchecked Sendable {
    // The source and encoder are used only by the pump's thread once it starts.
    private let source: VideoSource
    private let encoder: VP8Encoder
    private var sender = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType)
    private var packetizer = VP8Packetizer()
    private let uplink: Uplink
    private let stats: BroadcastStats
    private let running = NIOLockedValueBox(true)
    private let finished = NIOLockedValueBox(false)
    static let burst = 8

    init(source: VideoSource, encoder: VP8Encoder, uplink: Uplink, stats: BroadcastStats) {
        self.source = source
        self.encoder = encoder
        self.uplink = uplink
        self.stats = stats
    }

    func start() {
        let thread = Thread { [self] in
            defer { finished.withLockedValue { $0 = true } }
            do { try loop() } catch { Console.shared.error("video stopped: \(error)") }
        }
        thread.name = "video capture"
        thread.start()
    }

    /// Stops the loop and waits for its thread to leave it.
    func stop() async {
        running.withLockedValue { $0 = false }
        while !finished.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    private func loop() throws {
        let pacer = Pacer(period: .seconds(1) / source.framesPerSecond)
        let start = ContinuousClock.now
        let base = UInt32.random(in: 0...UInt32.max)
        while running.withLockedValue({ $0 }) {
            if !source.isRealTime { pacer.waitForNextTick() }
            let picture = try source.next()
            let capturedAt = CaptureTime.now
            let elapsed = ContinuousClock.now - start
            let timestamp = base &+ UInt32(truncatingIfNeeded: elapsed.components.seconds * 90_000 + elapsed.components.attoseconds / 11_111_111_111_111)
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
}
