import Hummingbird
import Logging
import NIOCore

/// The HTTP admin port of a server role: `/metrics` for Prometheus plus the role's own routes.
enum AdminApplication {
    /// A connection idle this long, or this long sending one request's head (slowloris), is closed.
    static let idleTimeout: Duration = .seconds(15)

    static func make(
        host: String, port: Int, idleTimeout: Duration = AdminApplication.idleTimeout, logger: Logger, routes: (Router<ClusterRequestContext>) -> Void,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ClusterRequestContext.self)
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: Observability.exposition())))
        }
        routes(router)
        return Application(
            router: router, server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
            configuration: .init(address: .hostname(host, port: port), serverName: "avserver"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
