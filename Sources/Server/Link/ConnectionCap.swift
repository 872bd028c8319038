import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Connections a listener holds per client address (DESIGN.md, trust: every connection bounded):
/// one address that opens more than `limit` gets the newest closed, with a log line, while
/// everyone else is still served. One instance per listener, shared by its connections.
final class ConnectionCap: Sendable {
    let limit: Int
    let port: String
    private let open = NIOLockedValueBox<[String: Int]>([:])
    private let logger: Logger

    init(limit: Int, port: String, logger: Logger) {
        self.limit = limit
        self.port = port
        self.logger = logger
    }

    /// The handler that counts one connection.
    func handler() -> Handler { Handler(cap: self) }

    fileprivate func admit(_ address: String) -> Bool {
        open.withLockedValue { counts in
            guard counts[address, default: 0] < limit else { return false }
            counts[address, default: 0] += 1
            return true
        }
    }

    fileprivate func release(_ address: String) {
        open.withLockedValue { counts in
            counts[address, default: 1] -= 1
            if counts[address] == 0 { counts[address] = nil }
        }
    }

    fileprivate func refused(_ address: String) {
        logger.warning("\(port): \(address) already holds \(limit) connections; the newest was closed")
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
            let address = context.channel.remoteAddress?.ipAddress ?? "?"
            guard cap.admit(address) else {
                cap.refused(address)
                context.close(promise: nil)
                return
            }
            counted = address
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            if let counted { cap.release(counted) }
            counted = nil
            context.fireChannelInactive()
        }
    }
}
