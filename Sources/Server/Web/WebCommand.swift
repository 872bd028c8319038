import ArgumentParser
import Logging
import ServiceLifecycle

/// `avserver web`: the web portal.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Run the web portal: the client API, channel pages, the admin dashboard, and the channel database.",
        discussion: """
            The database is an SQLite file (--database; in memory without it), or PostgreSQL when \
            --postgres names one, so several web servers can share it. The dashboard is at \
            /admin?token=TOKEN; the API is described at /openapi.json.
            """
    )

    @Option(help: "JSON settings file, keys as the long flags; AVSERVER_WEB_<FLAG> variables come next, flags last, each over the one before.")
    var config: String?
    @Option(name: .customLong("bind"), help: "Address to listen on.")
    var bindHost = "127.0.0.1"
    @Option(help: "HTTP port.")
    var port = 8080
    @Option(help: "A CSM's HTTP base URL; repeat for primary and backup.")
    var csm: [String] = ["http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    @Option(help: "File holding the CSMs' admin token. Else $AVCLUSTER_CSM_TOKEN, else the dashboard's token.")
    var csmTokenFile: String?
    @Option(help: "File holding the dashboard's token (avserver keygen). Else $AVCLUSTER_ADMIN_TOKEN; off loopback one of them is required.")
    var adminTokenFile: String?
    @Option(help: "SQLite file of the channel database and event log (default: in memory).")
    var database: String?
    @Option(help: "PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE) instead of SQLite.")
    var postgres: String?

    @OptionGroup var rateLimits: RateLimitOptions
    @OptionGroup var clientNetworks: ClientNetworkOptions
    @OptionGroup var logRetention: LogRetentionOptions

    func validate() throws {
        guard !csm.isEmpty, csm.allSatisfy({ $0.hasPrefix("http://") }) else { throw ValidationError("--csm must look like http://HOST:PORT") }
        _ = try tokens()
        if database != nil && postgres != nil { throw ValidationError("give --database (SQLite) or --postgres, not both") }
        if let postgres, PostgresURL.configuration(postgres) == nil { throw ValidationError("\(PortalError.badDatabaseURL(postgres))") }
    }

    /// The dashboard's token and the CSMs' (the same unless told apart), checked against where
    /// the portal listens.
    func tokens() throws -> (admin: String, csm: String) {
        let admin = try Secret.load(file: adminTokenFile, environment: "AVCLUSTER_ADMIN_TOKEN", builtIn: Secret.builtInAdminToken)
        try Secret.check(admin, what: "admin token", flag: "admin-token-file", variable: "AVCLUSTER_ADMIN_TOKEN", bindHost: bindHost)
        let csm = try Secret.load(file: csmTokenFile, environment: "AVCLUSTER_CSM_TOKEN", builtIn: admin)
        return (admin, csm)
    }

    func webConfiguration() throws -> WebConfiguration {
        var configuration = WebConfiguration()
        configuration.bindHost = bindHost
        configuration.port = port
        configuration.csmURLs = csm
        (configuration.adminToken, configuration.csmToken) = try tokens()
        configuration.databasePath = database
        configuration.postgresURL = postgres
        configuration.rateLimits = rateLimits.limits
        configuration.networks = clientNetworks.networks
        configuration.logRetention = logRetention.retention(inMemory: database == nil && postgres == nil)
        return configuration
    }

    func run() async throws {
        let logger = Logger(label: "avserver.web")
        let group = ServiceGroup(services: [WebService(configuration: try webConfiguration(), logger: logger)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
