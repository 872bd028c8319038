import Media
import NIOCore
import Wire

/// Captures sound a frame at a time (20 ms unless `--audio-frame-ms`), encodes it with Opus and
/// sends each frame as one RTP packet (RFC 7587) stamped with its capture time, on its own thread.
final class AudioPump: @unchecked Sendable {
    // Everything but `thread` is used only by the capture thread once it starts.
    private let source: AudioSource
    private let encoder: OpusAudioEncoder
    private var sender = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private let pacer: Pacer
    private let uplink: Uplink
    private let stats: BroadcastStats
    private var thread: CaptureThread?

    init(source: AudioSource, encoder: OpusAudioEncoder, uplink: Uplink, stats: BroadcastStats) {
        self.source = source
        self.encoder = encoder
        pacer = Pacer(period: .microseconds(1_000_000 * encoder.frameSamples / OpusAudioEncoder.sampleRate))
        self.uplink = uplink
        self.stats = stats
    }

    func start(stop: StopSignal) { thread = CaptureThread(name: "audio capture", what: "audio", stop: stop) { [self] in try step() } }

    func stop() async { await thread?.stop() }

    private func step() throws {
        if !source.isRealTime { pacer.waitForNextTick() }
        let samples = try source.read(frames: encoder.frameSamples)
        let capturedAt = CaptureTime.now
        let payload = try encoder.encode(samples)
        let packet = sender.packet(payload: payload, timestamp: timestamp, capturedAt: capturedAt)
        timestamp &+= UInt32(encoder.frameSamples)
        uplink.send([packet])
        let level = AudioLevel(samples: samples)
        stats.update {
            $0.audioPackets += 1
            $0.audioBytes += payload.count
            $0.audioLevel = level
        }
    }
}
