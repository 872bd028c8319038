import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Wire

/// The HTTP admin port of a server role: `/metrics` for Prometheus plus the role's own routes.
enum AdminApplication {
    /// A connection idle this long, or this long sending one request's head (slowloris), is closed.
    static let idleTimeout: Duration = .seconds(15)

    static func make(
        host: String, port: Int, idleTimeout: Duration = AdminApplication.idleTimeout, limits: HTTPConnectionLimits = HTTPConnectionLimits(),
        networks: ClientNetworks = ClientNetworks(), logger: Logger, routes: (Router<ClusterRequestContext>) -> Void,
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
            router: router, server: server(idleTimeout: idleTimeout, limits: limits, networks: networks, logger: logger, port: "HTTP port \(port)"),
            configuration: .init(address: .hostname(host, port: port), serverName: "avserver"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// HTTP/1.1 with the idle timeout, and the connection caps and request deadline of `limits`.
    static func server(idleTimeout: Duration, limits: HTTPConnectionLimits, networks: ClientNetworks, logger: Logger, port: String) -> HTTPServerBuilder {
        let cap = ConnectionCap(limit: limits.perNetwork, total: limits.total, port: port, networks: networks, logger: logger)
        return .http1(configuration: .init(
            additionalChannelHandlers: limits.handlers(cap: cap, logger: logger, port: port), idleTimeout: TimeAmount(idleTimeout)))
    }
}
