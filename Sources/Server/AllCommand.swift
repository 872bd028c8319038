import ArgumentParser
import Logging
import ServiceLifecycle
import Wire

/// `avserver all`: the whole cluster in one process, with embedded defaults: a primary CSM, its
/// backup and three streaming units on loopback.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run the whole cluster on this machine with embedded defaults."
    )

    @Option(help: "Streaming units to start.")
    var units = 3
    @Option(help: "First port; the CSM uses the next 0-80, unit N uses base+100*N ... +2.")
    var basePort = 7000

    @Option(help: "HTTP port of the web portal.")
    var webPort = 8080
    @Option(help: "SQLite file of the web portal's database (default: in memory).")
    var webDatabase: String?

    func validate() throws {
        guard (1...20).contains(units) else { throw ValidationError("--units must be between 1 and 20") }
        guard (1024...60000).contains(basePort) else { throw ValidationError("--base-port must be between 1024 and 60000") }
    }

    func run() async throws {
        let logger = Logger(label: "avserver.all")
        var csm = CSMConfiguration()
        csm.name = "csm-a"
        csm.unitPort = basePort
        csm.clientPort = basePort + 1
        csm.httpPort = basePort + 80
        csm.peer = "127.0.0.1:\(basePort + 2)"
        var backup = csm
        backup.name = "csm-b"
        backup.unitPort = basePort + 2
        backup.clientPort = basePort + 3
        backup.httpPort = basePort + 81
        backup.peer = "127.0.0.1:\(basePort)"
        backup.startAsBackup = true
        var services: [any Service] = [
            CSMService(configuration: csm, logger: Logger(label: "avserver.csm-a")),
            CSMService(configuration: backup, logger: Logger(label: "avserver.csm-b")),
        ]
        for index in 1...units {
            var unit = UnitConfiguration()
            unit.unit = UnitID(UInt16(index))
            unit.sessionPort = basePort + 100 * index
            unit.mediaPort = basePort + 100 * index + 1
            unit.csmAddresses = ["127.0.0.1:\(csm.unitPort)", "127.0.0.1:\(backup.unitPort)"]
            unit.ticketSecret = csm.secret
            services.append(UnitService(configuration: unit, adminPort: basePort + 100 * index + 2, logger: Logger(label: "avserver.unit.\(index)")))
        }
        var web = WebConfiguration()
        web.port = webPort
        web.csmURLs = ["http://127.0.0.1:\(csm.httpPort)", "http://127.0.0.1:\(backup.httpPort)"]
        web.databasePath = webDatabase
        services.append(WebService(configuration: web, logger: Logger(label: "avserver.web")))
        let http = "http://127.0.0.1:\(csm.httpPort)"
        print("""
            avcluster: a primary CSM (HTTP \(csm.httpPort)), its backup (HTTP \(backup.httpPort)), \(units) streaming units and the web portal on 127.0.0.1.
              web portal     http://127.0.0.1:\(webPort)/                  (dashboard: /admin?token=\(web.adminToken))
              cluster API    \(http)/api/channels            (open: POST {"title":..,"broadcasterName":..})
              admin API      \(http)/admin/view               (Authorization: Bearer \(csm.adminToken))
              status table   avserver admin status --csm \(http)
              metrics        \(http)/metrics, and each unit's on port base+100*N+2
            Stop with Ctrl-C.
            """)
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
