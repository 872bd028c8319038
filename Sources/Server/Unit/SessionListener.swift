import CDatagram
import DataPlane
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The unit's TCP session port. It accepts on a thread of its own and hands each connection to
/// NIO with a `DirectWriteHandler` holding a second descriptor of it, which NIO's own accept
/// would not give: that is what lets a batch's shared chunk go to a caught-up viewer in one
/// system call.
final class SessionListener: Sendable {
    private let descriptor: CInt
    let port: Int
    /// The accepting thread: NIO's threads block the signals the process handles.
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let closed = NIOLockedValueBox(false)

    /// Binds `host:port` (SO_REUSEADDR: a restarted unit gets its port back at once) and starts
    /// accepting. Connections go to `loops` in turn, each with the options `configure` sets, the
    /// direct writer first in its pipeline and then the handlers `initializer` adds.
    init(
        host: String, port: Int, backlog: Int32 = 1024, loops: [EventLoop], logger: Logger,
        configure: @escaping @Sendable (ClientBootstrap) -> ClientBootstrap, initializer: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        guard address.withSockAddr({ bind(fd, $0, socklen_t($1)) }) == 0, listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw IOError(errnoCode: code, reason: "bind \(host):\(port)")
        }
        self.port = boundPort(of: fd)
        descriptor = fd
        let listening = fd
        thread.start()
        thread.submit { _ in
            var next = 0
            Self.acceptLoop(listening, logger: logger) { fd, direct in
                defer { next = (next + 1) % loops.count }
                return configure(ClientBootstrap(group: loops[next]))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let handler = DirectWriteHandler(descriptor: direct.withLockedValue { descriptor in
                                defer { descriptor = -1 }
                                return descriptor
                            })
                            try channel.pipeline.syncOperations.addHandler(handler)
                        }.flatMap { initializer(channel) }
                    }
                    .withConnectedSocket(fd)
            }
        }
    }

    /// Blocks in accept until the socket is shut down; `start` hands a connection to NIO with a
    /// second descriptor of it, which the direct writer takes (else it is closed here).
    private static func acceptLoop(
        _ listening: CInt, logger: Logger, start: (CInt, NIOLockedValueBox<CInt>) -> EventLoopFuture<Channel>
    ) {
        while true {
            let fd = avc_accept(listening)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: the backlog waits, the unit goes on serving.
                    logger.error("session port: cannot accept (\(String(cString: strerror(errno)))); retrying in 100 ms")
                    usleep(100_000)
                    continue
                default:
                    // EINVAL once `close` shut the socket down; anything else would end it too.
                    logger.debug("session port: no longer accepting (\(String(cString: strerror(errno))))")
                    return
                }
            }
            let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
            guard duplicate >= 0 else {
                Glibc.close(fd)
                continue
            }
            let direct = NIOLockedValueBox(duplicate)
            start(fd, direct).whenFailure { error in
                direct.withLockedValue { descriptor in
                    if descriptor >= 0 { Glibc.close(descriptor) }
                    descriptor = -1
                }
                logger.debug("session port: a connection could not be set up: \(error)")
            }
        }
    }

    /// Stops accepting; connections already open stay.
    func close() {
        // Once only: a second close could hit a descriptor number the process has given out again.
        guard closed.withLockedValue({ closed in defer { closed = true }; return !closed }) else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
        thread.shutdownGracefully { _ in }
    }
}
