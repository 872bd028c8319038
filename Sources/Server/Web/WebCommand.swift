import ArgumentParser
import Logging
import ServiceLifecycle

/// `avserver web`: the web portal.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Run the web portal: the client API, channel pages, the admin dashboard, and the channel database.",
        discussion: """
            The database is an SQLite file (--database; in memory without it), or PostgreSQL when
            --postgres names one, so several web servers can share it. The dashboard is at
            /admin?token=TOKEN; the API is described at /openapi.json.
            """
    )

    @Option(name: .customLong("bind"), help: "Address to listen on.")
    var bindHost = "127.0.0.1"
    @Option(help: "HTTP port.")
    var port = 8080
    @Option(help: "A CSM's HTTP base URL; repeat for primary and backup.")
    var csm: [String] = ["http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    @Option(name: .customLong("csm-token"), help: "The CSMs' admin token.")
    var csmToken = WebConfiguration().csmToken
    @Option(name: .customLong("admin-token"), help: "The dashboard's token.")
    var adminToken = WebConfiguration().adminToken
    @Option(help: "SQLite file of the channel database and event log (default: in memory).")
    var database: String?
    @Option(help: "PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE) instead of SQLite.")
    var postgres: String?

    func validate() throws {
        guard !csm.isEmpty, csm.allSatisfy({ $0.hasPrefix("http://") }) else { throw ValidationError("--csm must look like http://HOST:PORT") }
        guard !adminToken.isEmpty else { throw ValidationError("--admin-token must not be empty") }
        if database != nil && postgres != nil { throw ValidationError("give --database (SQLite) or --postgres, not both") }
        if let postgres, PostgresURL.configuration(postgres) == nil { throw ValidationError("\(PortalError.badDatabaseURL(postgres))") }
    }

    var webConfiguration: WebConfiguration {
        var configuration = WebConfiguration()
        configuration.bindHost = bindHost
        configuration.port = port
        configuration.csmURLs = csm
        configuration.csmToken = csmToken
        configuration.adminToken = adminToken
        configuration.databasePath = database
        configuration.postgresURL = postgres
        return configuration
    }

    func run() async throws {
        let logger = Logger(label: "avserver.web")
        let group = ServiceGroup(services: [WebService(configuration: webConfiguration, logger: logger)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
