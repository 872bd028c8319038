import Foundation
import Media
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// Captures sound 20 ms at a time, encodes it with Opus and sends each frame as one RTP packet
/// (RFC 7587) stamped with its capture time. Runs on its own thread: capture calls block.
final class AudioPump: @unchecked Sendable {
    // The source and encoder are used only by the pump's thread once it starts.
    private let source: AudioSource
    private let encoder: OpusAudioEncoder
    private var sender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
    private let uplink: Uplink
    private let stats: BroadcastStats
    private let running = NIOLockedValueBox(true)
    private let finished = NIOLockedValueBox(false)

    init(source: AudioSource, encoder: OpusAudioEncoder, uplink: Uplink, stats: BroadcastStats) {
        self.source = source
        self.encoder = encoder
        self.uplink = uplink
        self.stats = stats
    }

    func start() {
        let thread = Thread { [self] in
            defer { finished.withLockedValue { $0 = true } }
            do { try loop() } catch { Console.shared.error("audio stopped: \(error)") }
        }
        thread.name = "audio capture"
        thread.start()
    }

    /// Stops the loop and waits for its thread to leave it.
    func stop() async {
        running.withLockedValue { $0 = false }
        while !finished.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    private func loop() throws {
        let pacer = Pacer(period: .milliseconds(20))
        var timestamp = UInt32.random(in: 0...UInt32.max)
        while running.withLockedValue({ $0 }) {
            if !source.isRealTime { pacer.waitForNextTick() }
            let samples = try source.read()
            let capturedAt = CaptureTime.now
            let payload = try encoder.encode(samples)
            let packet = sender.packet(payload: payload, timestamp: timestamp, capturedAt: capturedAt)
            timestamp &+= UInt32(OpusAudioEncoder.frameSamples)
            uplink.send([packet])
            let level = AudioLevel(samples: samples)
            stats.update {
                $0.audioBytes += payload.count
                $0.audioLevel = level
            }
        }
    }
}
