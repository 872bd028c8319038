import DataPlane
import Ingest
import Logging
import NIOCore
import NIOPosix
import Wire

/// One RTMP publisher (OBS, ffmpeg, GStreamer's rtmp2sink) on the unit's RTMP port, on the
/// unit's loop: `RTMPPublishSession` speaks RTMP; at `publish` the stream key is checked here
/// with the CSMs' public key, then the CSM places its channel with its root here (or gives it
/// back, to a publisher that returns); from then on its tags become the channel's RTP
/// (`PublisherStream`) and go through the channel's router as a broadcaster's packets do.
/// Bounded like the session port: `publish` within `rtmpTimeout` of connecting, never silent
/// that long after, a keyframe within it once video comes; anything malformed closes it with a
/// log line.
final class RTMPPublisher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case connecting
        /// Waiting for the CSM's answer to request `id`.
        case placing(request: UInt64)
        case live(ChannelID)
        case ended
    }

    private let unit: NIOLoopBound<Unit>
    private var session = RTMPPublishSession()
    private var pending = ByteBuffer()
    private var phase = Phase.connecting
    /// This connection's stream: the configuration its publisher sends right after `publish`
    /// is read into it while the CSM places the channel.
    private let stream = PublisherStream()
    private var peer = "?"
    private var context: ChannelHandlerContext?
    private var deadline: Scheduled<Void>?
    private var firstVideo: NIODeadline?
    /// Packets over the channel's bitrate cap, and where the last report's rates were taken.
    private var dropped = 0
    private var reported: (at: NIODeadline, bytes: UInt64, frames: Int)?

    init(unit: NIOLoopBound<Unit>) {
        self.unit = unit
    }

    /// The unit's RTMP port: every connection on the unit's loop, capped per client network.
    static func listen(port: Int, _ configuration: UnitConfiguration, unit: NIOLoopBound<Unit>, logger: Logger) -> EventLoopFuture<Channel> {
        let cap = ConnectionCap(
            limit: configuration.rtmpPerNetwork, total: configuration.unopenedSessions, port: "unit \(configuration.unit) RTMP port",
            networks: configuration.networks, logger: logger)
        let timeout = TimeAmount(configuration.rtmpTimeout)
        return ServerBootstrap(group: unit.eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        cap.handler(),
                        IdleStateHandler(readTimeout: timeout),
                        IdleCloseHandler(logger: logger, what: "RTMP publisher", timeout: configuration.rtmpTimeout),
                        RTMPPublisher(unit: unit),
                    ])
                }
            }
            .bind(host: configuration.bindHost, port: port)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        let timeout = unit.value.configuration.rtmpTimeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self, case .connecting = self.phase else { return }
            self.end("no publish within \(timeout) of connecting; set the server URL to rtmp://HOST:PORT/live and the stream key from the portal")
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isEnded else { return }
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        do {
            let output = try session.received(&pending)
            pending.discardReadBytes()
            if output.send.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(output.send), promise: nil) }
            for event in output.events { try take(event) }
        } catch {
            end("\(error)")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .live = phase { unit.value.flushMedia() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave("it closed the connection")
        // Gone before the CSM answered: nobody waits for the answer.
        if case .placing(let id) = phase { _ = unit.value.control.takePublishRequest(id) }
        phase = .ended
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        end("connection error: \(error)")
    }

    private var isEnded: Bool { if case .ended = phase { true } else { false } }

    private func take(_ event: RTMPPublishSession.Event) throws {
        switch event {
        case .connected, .metadata:
            break
        case .publishing(let key):
            try publish(key)
        case .video(let body, let milliseconds):
            let packets = try stream.video(body, milliseconds: milliseconds, capturedAt: .now)
            try checkKeyframes()
            deliver(packets)
        case .audio(let body, let milliseconds):
            deliver(try stream.audio(body, milliseconds: milliseconds, capturedAt: .now))
        case .unpublished:
            end("it stopped publishing", quietly: true)
        }
    }

    /// The key's signature here (a forged key costs the CSM nothing), then the CSM's placing.
    private func publish(_ key: String) throws {
        let unit = unit.value
        let streamKey: StreamKey
        do {
            streamKey = try unit.configuration.credential.tickets.verify(streamKey: key)
        } catch {
            throw RTMPError("stream key refused: \(error)")
        }
        let request = unit.control.requestPublish(streamKey: key, publisher: "RTMP publisher") { [weak self] result in
            self?.placed(result, key: streamKey)
        }
        switch request {
        case .failure(let error): throw RTMPError("no channel: \(error.message)")
        case .success(let id): phase = .placing(request: id)
        }
        deadline?.cancel()
        deadline = unit.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(unit.configuration.rtmpTimeout)) { [weak self] in
            guard let self, case .placing = self.phase else { return }
            self.end("the CSM did not answer in time; publish again")
        }
    }

    /// The CSM's answer: live on the channel, or closed with its reason.
    private func placed(_ result: Result<(ChannelID, GroupID), ControlError>, key: StreamKey) {
        guard case .placing = phase else { return }
        deadline?.cancel()
        let unit = unit.value
        switch result {
        case .failure(let error):
            end("no channel: \(error.message)")
        case .success((let id, _)):
            guard let channel = unit.channels[id] else {
                return end("channel \(id) was placed here but its group is not (a command lost?); publish again")
            }
            if let previous = channel.publisher, previous !== self {
                previous.end("the publisher connected again", quietly: true)
            }
            if let before = channel.publisherStream { stream.goesOn(from: before) }
            channel.publisher = self
            channel.publisherStream = stream
            phase = .live(id)
            unit.record(.publisherLive, channel: id, "RTMP publisher \(peer) is live on channel \(id) (\"\(key.title)\", stream key \(key.id))")
            unit.broadcastStatus(of: channel)
        }
    }

    /// A keyframe must come within the timeout of the first video: without one no viewer ever
    /// sees a picture.
    private func checkKeyframes() throws {
        guard stream.figures.keyframes == 0, stream.figures.videoFrames > 0 else { return }
        let now = unit.value.clock.deadline()
        let first = firstVideo ?? now
        firstVideo = first
        let timeout = unit.value.configuration.rtmpTimeout
        if now - first > TimeAmount(timeout) {
            throw RTMPError("no keyframe in \(timeout) of video: set the keyframe interval to 1 or 2 s (OBS: Settings > Output; x264: -g)")
        }
    }

    /// The channel's packets, within its bitrate budget, into its router.
    private func deliver(_ packets: [ByteBuffer]) {
        guard case .live(let id) = phase, !packets.isEmpty else { return }
        let unit = unit.value
        guard let channel = unit.channels[id], channel.publisher === self else {
            return end("channel \(id) is no longer served here")
        }
        for packet in packets {
            guard channel.uplink.spend(packet, now: unit.clock.deadline()) == .accept else {
                unit.counters.droppedOverBitrate += 1
                dropped += 1
                continue
            }
            unit.ingest(packet, into: channel)
        }
    }

    /// Its state for the root's report: the rates since the last report.
    func report(now: NIODeadline) -> PublisherReport {
        let figures = stream.figures
        let last = reported ?? (at: now, bytes: figures.bytesIn, frames: figures.videoFrames)
        reported = (now, figures.bytesIn, figures.videoFrames)
        let seconds = Double((now - last.at).nanoseconds) / 1e9
        return PublisherReport(
            ingest: "rtmp", videoCodec: .h264, audioCodec: "aac",
            kilobitsPerSecond: seconds > 0 ? Int(Double(figures.bytesIn - last.bytes) * 8 / 1000 / seconds) : 0,
            framesPerSecond: seconds > 0 ? (Double(figures.videoFrames - last.frames) / seconds * 10).rounded() / 10 : 0, dropped: dropped)
    }

    /// Leaves its channel (it stays open for the broadcaster grace, for the publisher to return).
    private func leave(_ reason: String) {
        guard case .live(let id) = phase else { return }
        let unit = unit.value
        phase = .ended
        guard let channel = unit.channels[id], channel.publisher === self else { return }
        channel.publisher = nil
        unit.record(.publisherLeft, channel: id, "RTMP publisher \(peer) left channel \(id): \(reason)")
        unit.broadcastStatus(of: channel)
    }

    /// Closes the connection with a log line saying why (`quietly`: a normal end, at debug).
    func end(_ reason: String, quietly: Bool = false) {
        guard !isEnded else { return }
        let unit = unit.value
        let was = phase
        if case .live = was { leave(reason) }
        phase = .ended
        deadline?.cancel()
        // Its request's answer, should it still come, has nobody to go to.
        if case .placing(let id) = was { _ = unit.control.takePublishRequest(id) }
        if !quietly {
            unit.logger.warning("RTMP publisher \(peer) refused: \(reason)")
        } else if case .live = was {
            // Its leaving is an event of the channel's, logged as one.
        } else {
            unit.logger.debug("RTMP publisher \(peer) closed: \(reason)")
        }
        context?.close(promise: nil)
    }
}
