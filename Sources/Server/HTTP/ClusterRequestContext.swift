import Hummingbird
import NIOCore

/// The request context of every HTTP port: Hummingbird's basic context plus the client's
/// address, which the per-address rate limits key on.
struct ClusterRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
