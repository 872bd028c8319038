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
        do {
            try await serve(app: app, mirror: mirror)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// The portal and its mirror until shutdown, or until the portal cannot listen. The
    /// dashboards' event streams never end on their own: they are ended when shutdown begins, or
    /// the server would wait for them forever.
    private func serve(app: some ApplicationProtocol, mirror: ClusterMirror) async throws {
        let configuration = self.configuration
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await mirror.run() }
                group.addTask {
                    // A portal that cannot listen ends the process with a message that says why.
                    try await PortUnavailable.naming("the web portal", ports: [configuration.port]) { try await app.runService() }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } onGracefulShutdown: {
            Task { await mirror.finishAll() }
        }
    }
}
