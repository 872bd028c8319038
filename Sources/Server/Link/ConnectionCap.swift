import Logging
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// Connections a listener holds per client network (docs/SECURITY.md: every connection
/// bounded), and in all: a network that opens more than `limit` gets the newest closed, with a
/// log line, while everyone else is still served. One instance per listener, shared by its
/// connections.
final class ConnectionCap: Sendable {
    let limit: Int
    let total: Int
    let port: String
    let networks: ClientNetworks
    private let open = NIOLockedValueBox<(byNetwork: [String: Int], all: Int)>(([:], 0))
    /// Refusals since the last log line: a flood of connections makes one line each 10 s, not one each.
    private let refusals = NIOLockedValueBox<(count: Int, lastLine: ContinuousClock.Instant?)>((0, nil))
    private let logger: Logger

    init(limit: Int, total: Int = .max, port: String, networks: ClientNetworks = ClientNetworks(), logger: Logger) {
        self.limit = limit
        self.total = total
        self.port = port
        self.networks = networks
        self.logger = logger
    }

    /// The handler that counts one connection.
    func handler() -> Handler { Handler(cap: self) }

    /// nil when admitted; else why not. A trusted proxy carries everyone's connections: it is
    /// held to the total only.
    fileprivate func admit(_ network: String, proxy: Bool) -> String? {
        open.withLockedValue { counts in
            guard counts.all < total else { return "the port holds \(total) connections, its limit" }
            guard proxy || counts.byNetwork[network, default: 0] < limit else { return "\(network) already holds \(limit) connections" }
            counts.byNetwork[network, default: 0] += 1
            counts.all += 1
            return nil
        }
    }

    fileprivate func release(_ network: String) {
        open.withLockedValue { counts in
            counts.byNetwork[network, default: 1] -= 1
            counts.all -= 1
            if counts.byNetwork[network] == 0 { counts.byNetwork[network] = nil }
        }
    }

    fileprivate func refused(_ why: String) {
        let now = ContinuousClock.now
        let unsaid: Int? = refusals.withLockedValue { state in
            state.count += 1
            if let last = state.lastLine, now - last < .seconds(10) { return nil }
            defer { state = (0, now) }
            return state.count
        }
        guard let unsaid else { return }
        logger.warning("\(port): \(why); the newest was closed (\(unsaid) refused since the last such line)")
    }

    /// Counts the connection while it is open; closes it at once when its address is at the cap.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        private let cap: ConnectionCap
        private var counted: String?

        fileprivate init(cap: ConnectionCap) {
            self.cap = cap
        }

        func channelActive(context: ChannelHandlerContext) {
            let network = cap.networks.network(of: context.channel.remoteAddress)
            if let why = cap.admit(network, proxy: cap.networks.trusts(context.channel.remoteAddress)) {
                cap.refused(why)
                context.close(promise: nil)
                return
            }
            counted = network
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            if let counted { cap.release(counted) }
            counted = nil
            context.fireChannelInactive()
        }
    }
}
