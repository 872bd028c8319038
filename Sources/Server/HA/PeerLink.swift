import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

/// The CSM's outbound link to its peer: hello, then a heartbeat every interval. Reconnects every
/// second; the peer's own heartbeats arrive on its link to us.
final class PeerLink: Sendable {
    let host: String
    let port: Int
    private let name: String
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    init(host: String, port: Int, name: String) {
        self.host = host
        self.port = port
        self.name = name
    }

    /// Sends a heartbeat, connecting first when needed; a failure just waits for the next beat.
    func send(_ heartbeat: Heartbeat) async {
        if channel.withLockedValue({ $0?.isActive != true }) {
            guard let connected = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(500))
                .connect(host: host, port: port).get()
            else { return }
            var hello = ByteBuffer()
            try? LengthPrefixedFramer.control.write(bytes: ControlCoder.encode(PeerMessage.hello(Hello(peer: .csm, name: name))), to: &hello)
            connected.writeAndFlush(hello, promise: nil)
            channel.withLockedValue { $0 = connected }
        }
        var buffer = ByteBuffer()
        guard (try? LengthPrefixedFramer.control.write(bytes: ControlCoder.encode(PeerMessage.heartbeat(heartbeat)), to: &buffer)) != nil
        else { return }
        channel.withLockedValue { $0 }?.writeAndFlush(buffer, promise: nil)
    }

    func close() {
        channel.withLockedValue { $0?.close(promise: nil) }
    }
}
