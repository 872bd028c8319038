import Client
import Hummingbird
import NIOCore
import Logging
import ServiceLifecycle

/// `avserver web`: the portal's JSON API, pages and admin dashboard, its database, and the
/// mirror that keeps both fresh from the CSM.
struct WebService: Service {
    let configuration: WebConfiguration
    let logger: Logger
    var onStarted: @Sendable (Int) async -> Void = { _ in }

    func run() async throws {
        let store: PortalStore =
            if let url = configuration.postgresURL {
                try await PostgresPortalStore.open(url: url, logger: logger)
            } else {
                try await SQLitePortalStore.open(path: configuration.databasePath, logger: logger)
            }
        // One set of CSM endpoints: the mirror and the client API follow the same primary.
        guard let endpoints = ClusterEndpoints(urls: configuration.csmURLs, headers: [("Authorization", "Bearer \(configuration.csmToken)")]) else {
            await store.close()
            throw PortalError.badDatabaseURL(configuration.csmURLs.joined(separator: ","))
        }
        let mirror = ClusterMirror(endpoints: endpoints, store: store, retention: configuration.logRetention, logger: logger)
        let router = Router(context: ClusterRequestContext.self)
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        let limits = ClientRateLimits(configuration.rateLimits, networks: configuration.networks, trustedToken: nil)
        WebRoutes.add(
            to: router, api: PortalAPI(cluster: ClusterAPIClient(endpoints: endpoints), store: store, mirror: mirror), store: store, mirror: mirror,
            limits: limits, configuration: configuration)
        let app = Application(
            router: router,
            server: AdminApplication.server(
                idleTimeout: AdminApplication.idleTimeout, limits: configuration.httpLimits, networks: configuration.networks, logger: logger,
                port: "portal port \(configuration.port)"),
            configuration: .init(address: .hostname(configuration.bindHost, port: configuration.port), serverName: "avserver-web"),
            onServerRunning: { [onStarted, configuration] channel in await onStarted(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        logger.info("web portal on http://\(configuration.bindHost):\(configuration.port), CSMs \(configuration.csmURLs.joined(separator: ", ")), database \(configuration.postgresURL.map { _ in "PostgreSQL" } ?? configuration.databasePath ?? "SQLite in memory")")
        // The dashboards' event streams never end on their own: end them when shutdown begins, or
        // the server would wait for them forever.
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await mirror.run() }
                group.addTask {
                    do { try await app.runService() } catch { logger.error("web server stopped: \(error)") }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await mirror.finishAll() }
        }
        await store.close()
    }
}
