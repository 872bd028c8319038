import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

/// The CSM's outbound link to its peer: the link handshake, then a heartbeat every interval.
/// Reconnects on the next beat after a failure; the peer's own heartbeats arrive on its link to us.
final class PeerLink: Sendable {
    let host: String
    let port: Int
    private let name: String
    private let key: LinkKey
    private let logger: Logger
    /// The authenticated connection; nil while there is none.
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    private let connecting = NIOLockedValueBox(false)

    init(host: String, port: Int, name: String, key: LinkKey, logger: Logger) {
        self.host = host
        self.port = port
        self.name = name
        self.key = key
        self.logger = logger
    }

    /// Sends a heartbeat, connecting first when needed; a failure just waits for the next beat.
    func send(_ heartbeat: Heartbeat) async {
        if channel.withLockedValue({ $0?.isActive != true }) {
            guard connecting.withLockedValue({ busy in defer { busy = true }; return !busy }) else { return }
            defer { connecting.withLockedValue { $0 = false } }
            guard let connected = await connect() else { return }
            channel.withLockedValue { $0 = connected }
        }
        guard let frame = try? ControlCoder.frame(PeerMessage.heartbeat(heartbeat)) else { return }
        channel.withLockedValue { $0 }?.writeAndFlush(frame, promise: nil)
    }

    /// Connects and proves the key; nil when either fails (the handler has logged why).
    private func connect() async -> (any Channel)? {
        let handshake = LinkHandshake.initiator(role: .csm, name: name, key: key)
        let logger = self.logger
        let authenticated = NIOLockedValueBox<EventLoopFuture<Hello>?>(nil)
        guard let connected = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(500))
            .channelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 256 << 10))
            .channelInitializer({ channel in
                channel.eventLoop.makeCompletedFuture {
                    let frameLimit = FrameSizeLimit()
                    let auth = LinkAuthenticationHandler(handshake: handshake, timeout: .seconds(2), frameLimit: frameLimit, logger: logger, on: channel.eventLoop)
                    authenticated.withLockedValue { $0 = auth.authenticated.futureResult }
                    try channel.pipeline.syncOperations.addHandlers([
                        OutboundCapHandler(logger: logger, what: "peer link", maxQueuedBytes: 1 << 20),
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .control, limit: frameLimit)),
                        auth,
                    ])
                }
            })
            .connect(host: host, port: port).get()
        else { return nil }
        guard (try? await authenticated.withLockedValue({ $0 })?.get()) != nil else {
            connected.close(promise: nil)
            return nil
        }
        return connected
    }

    func close() {
        channel.withLockedValue { $0?.close(promise: nil) }
    }
}
