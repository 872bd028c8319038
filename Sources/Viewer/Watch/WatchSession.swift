#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Client
import Media
import NIOCore
import Wire

/// One viewer watching one channel: joins through the cluster API, opens the session, proves UDP
/// (or asks for TCP when no bind reply comes), plays what arrives, measures loss and latency,
/// switches mode when the path calls for it, and re-joins when the unit goes away.
final class WatchSession {
    private let settings: WatchSettings
    private let api: ClusterAPIClient
    private let view: WatchView
    private let audio: AudioOutput
    private let forwarder: RTPForwarder?
    private let log: (String) -> Void
    private let inputs: AsyncStream<WatchInput>
    private let feed: AsyncStream<WatchInput>.Continuation

    private var session: SessionClient?
    private var generation = 0
    private var mode = MediaMode.udp
    private var policy: ModePolicy
    private var loss = LossMeter()
    /// The last picture decoded (`--snapshot` writes it at the end).
    private(set) var lastPicture: I420Frame?
    /// Every packet of either mode: where a re-join resumes, so the new unit fills the gap.
    private var received = LossMeter(seconds: 1)
    private var audioPlayout: AudioPlayout
    private var videoPlayout: VideoPlayout
    private var statistics = WatchStatistics()
    private var viewers = 0
    private var input: [UInt8] = []
    private let started = ContinuousClock.now
    private var lastLoss: Double?
    private var place: JoinChannelResponse?

    init(settings: WatchSettings, api: ClusterAPIClient, view: WatchView, audio: AudioOutput, forwarder: RTPForwarder?, log: @escaping (String) -> Void) throws {
        self.settings = settings
        self.api = api
        self.view = view
        self.audio = audio
        self.forwarder = forwarder
        self.log = log
        policy = ModePolicy(settings: settings.policy)
        audioPlayout = try AudioPlayout(channels: audio.channels)
        videoPlayout = try VideoPlayout(maxFrameBytes: settings.maxFrameBytes)
        (inputs, feed) = AsyncStream.makeStream(of: WatchInput.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// Where keys, lines, resizes, stop requests and ticks come in.
    var inputFeed: AsyncStream<WatchInput>.Continuation { feed }

    /// Watches until stopped; returns the summary line.
    func run() async throws -> String {
        try await connect()
        let ticker = Task { [feed] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                feed.yield(.tick)
            }
        }
        defer { ticker.cancel() }
        var reason = "stopped"
        loop: for await input in inputs {
            switch input {
            case .session(let generation, let event) where generation == self.generation:
                if case .closed(let error) = event {
                    if let ended = await rejoin(after: error.map { "the session broke: \($0)" } ?? "the unit closed the session") {
                        reason = ended
                        break loop
                    }
                } else {
                    handle(event)
                }
            case .session: break
            case .tick: tick()
            case .key(let byte): if let stop = key(byte) { reason = stop; break loop }
            case .line(let text): say(text)
            case .resize: view.resized()
            case .stop(let why):
                reason = why
                break loop
            }
        }
        if let session {
            session.send(.goodbye(reason: "the viewer stopped"))
            await session.close()
        }
        return summary(reason)
    }

    private var second: Int64 { Int64((ContinuousClock.now - started).components.seconds) }

    /// Joins, opens the session and settles the mode; throws when no unit can be reached.
    private func connect() async throws {
        let place = try await api.joinChannel(settings.channel)
        let session = try await SessionClient.connect(
            to: place.unit, ticket: place.ticket, peer: .viewer, name: settings.name, resume: received.resumePoint, localHost: "0.0.0.0")
        generation += 1
        let generation = generation
        Task { [feed] in
            for await event in session.events { feed.yield(.session(generation: generation, event)) }
        }
        self.session = session
        self.place = place
        try forwarder?.describe(channel: settings.channel, videoCodec: place.videoCodec)
        videoPlayout.restart()
        loss.resetWindow()
        if settings.forceTCP {
            setMode(.tcp, reason: "TCP asked for with --tcp")
        } else {
            do {
                try await session.bindUDP(timeout: settings.bindTimeout)
                mode = .udp
                policy.switched(to: .udp, at: second)
                note("watching channel \(settings.channel) on unit \(place.unit.host):\(place.unit.sessionPort) over UDP")
            } catch {
                setMode(.tcp, reason: "no UDP bind reply within \(settings.bindTimeout) (UDP blocked or NAT)")
            }
        }
    }

    private func setMode(_ mode: MediaMode, reason: String) {
        self.mode = mode
        policy.switched(to: mode, at: second)
        loss.resetWindow()
        session?.send(.setMode(mode, reason: reason))
        if mode == .udp { session?.sendBind() }
        statistics.switches += 1
        note("switched to \(mode == .udp ? "UDP" : "TCP"): \(reason)")
    }

    private func handle(_ event: SessionEvent) {
        switch event {
        case .media(let buffer, let via): media(buffer, via: via)
        case .message(.chat(let line)): view.news(line.isFromBroadcaster ? "[\(line.from) · broadcaster] \(line.text)" : "[\(line.from)] \(line.text)")
        case .message(.channelStatus(let viewers)): self.viewers = viewers
        case .message(.modeChanged(let mode, let reason)) where mode != self.mode:
            self.mode = mode
            policy.switched(to: mode, at: second)
            note("the unit switched this viewer to \(mode == .udp ? "UDP" : "TCP"): \(reason)")
        case .message(.videoSkipped(let skipped, let reason)):
            note(skipped ? "video paused, audio goes on: \(reason)" : "video resumes at the next keyframe")
        case .message(.goodbye(let reason)): note("the unit said goodbye: \(reason)")
        case .message(.error(let error)): note("unit: \(error.description)")
        default: break
        }
    }

    private func media(_ buffer: ByteBuffer, via: MediaMode) {
        guard let packet = try? RTPPacket(parsing: buffer) else { return }
        statistics.bytes += buffer.readableBytes
        statistics.secondBytes += buffer.readableBytes
        if via == .udp { loss.record(ssrc: packet.ssrc, sequence: packet.sequenceNumber, second: second) }
        received.record(ssrc: packet.ssrc, sequence: packet.sequenceNumber, second: second)
        if let capture = packet.captureTime { statistics.secondAges.append(capture.age(at: .now)) }
        forwarder?.forward(buffer, payloadType: packet.payloadType)
        switch packet.payloadType {
        case RTPPayloadFormat.opus.payloadType:
            statistics.audioPackets += 1
            for frame in audioPlayout.receive(packet) { audio.play(frame) }
        case RTPPayloadFormat.vp8.payloadType, RTPPayloadFormat.h264.payloadType:
            statistics.videoPackets += 1
            guard settings.decodeVideo, let picture = videoPlayout.receive(packet) else { return }
            statistics.framesShown += 1
            statistics.secondFrames += 1
            lastPicture = picture
            view.show(picture)
        default: break
        }
    }

    private func tick() {
        if mode == .udp { session?.sendBind() }
        lastLoss = loss.loss(overLast: settings.policy.windowSeconds, at: second - 1)
        if mode == .udp, let (mode, reason) = policy.decide(loss: lastLoss, at: second) {
            setMode(mode, reason: reason)
        } else if mode == .tcp, let (mode, reason) = policy.decide(loss: nil, at: second) {
            setMode(mode, reason: reason)
        }
        let figures = statistics.closeSecond()
        var parts = ["ch \(settings.channel)", mode == .udp ? "UDP" : "TCP"]
        if mode == .udp { parts.append("loss \(lastLoss.map(ModePolicy.percent) ?? "-")") }
        parts.append("latency \(figures.latency.map { "\($0) ms" } ?? "-")")
        parts.append("\(figures.kilobits) kbit/s")
        if settings.decodeVideo { parts.append("\(figures.frames) fps") }
        parts.append("\(viewers) viewer\(viewers == 1 ? "" : "s")")
        view.status(parts.joined(separator: "  "))
    }

    /// A key typed in the terminal; returns a reason to stop when it asks to.
    private func key(_ byte: UInt8) -> String? {
        switch byte {
        case 27: return "Esc pressed"
        case 4: return "Ctrl-D pressed"
        case 13, 10:
            say(String(decoding: input, as: UTF8.self))
            input.removeAll()
        case 127, 8:
            while let last = input.popLast(), last & 0xC0 == 0x80 {}  // a whole UTF-8 character
        default:
            guard byte >= 32, input.count < 500 else { return nil }
            input.append(byte)
        }
        view.inputChanged(String(decoding: input, as: UTF8.self))
        return nil
    }

    private func say(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        session?.send(.chat(ChatLine(from: settings.name, text: text, sentAtMilliseconds: 0)))
    }

    /// Re-joins after the session ended; nil when watching goes on, else why it cannot.
    private func rejoin(after reason: String) async -> String? {
        let lost = ContinuousClock.now
        session = nil
        note("lost the unit: \(reason); re-joining")
        var delay = Duration.milliseconds(100)
        var attempts = 0
        while !Task.isCancelled {
            attempts += 1
            do {
                try await connect()
                statistics.rejoins += 1
                note("back on unit \(place.map { "\($0.unit.host):\($0.unit.sessionPort)" } ?? "?") after a gap of \((ContinuousClock.now - lost).secondsText) s")
                return nil
            } catch ClusterAPIClient.Failure.refused(status: 404, let message) {
                return "the channel has ended (\(message))"
            } catch {
                if attempts == 1 || attempts % 10 == 0 { note("re-joining: \(error)") }
                if ContinuousClock.now - lost > .seconds(60) { return "no unit took this viewer back within 60 s: \(error)" }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
        return "stopped"
    }

    private func note(_ text: String) {
        view.news("* " + text)
        log(text)
    }

    private func summary(_ reason: String) -> String {
        let total = loss.totalExpected
        let lost = total == 0 ? "-" : ModePolicy.percent(max(0, 1 - Double(loss.totalReceived) / Double(total)))
        return "watched channel \(settings.channel) for \((ContinuousClock.now - started).secondsText) s (\(reason)): "
            + "\(statistics.audioPackets) audio and \(statistics.videoPackets) video packets, \(statistics.framesShown) frames shown, "
            + "UDP loss \(lost), \(statistics.switches) mode switches, \(statistics.rejoins) re-joins, \(audioPlayout.concealed) audio frames concealed"
    }
}
